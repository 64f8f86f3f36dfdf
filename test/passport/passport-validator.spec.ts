import { Controller, ForbiddenException, Get, Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBasic,
  HTTPBearer,
  PassportValidator,
  Security,
  SecuritySchemesModule,
  type PassportActions,
  type PassportStrategyLike,
} from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// 1. A strategy the @nestjs/passport way: a provider class whose validate() decides.
const nestBearer = new HTTPBearer({ schemeName: 'NestBearer' });
const nestVerifyCalls: string[] = [];

@Injectable()
class NestBearerStrategy extends PassportStrategy(BearerStrategy, 'test-nest-bearer') {
  async validate(token: string) {
    nestVerifyCalls.push(token);
    if (token === 'good-token') return { name: 'alice', scopes: ['read'] };
    if (token.startsWith('boom')) throw new Error(`database down while checking ${token}`);
    if (token === 'revoked-token') throw new ForbiddenException('Token revoked');
    return false;
  }
}
class NestBearerValidator extends PassportValidator(NestBearerStrategy) {}

// 2. A hand-written strategy instance: the X-Mode header says which passport action it takes.
const custom = new APIKeyHeader({ name: 'X-Mode', schemeName: 'Custom' });
const customStrategy: PassportStrategyLike = {
  name: 'custom',
  authenticate(this: PassportActions, request: { headers: Record<string, string> }) {
    const mode = request.headers['x-mode'];
    if (mode === 'later') setTimeout(() => this.success({ name: 'late' }), 5);
    else if (mode === 'success-then-error') {
      this.success({ name: 'first' });
      this.error(new Error('ignored'));
    } else if (mode === 'redirect') this.redirect('https://idp.example/login');
    else if (mode === 'pass') this.pass();
    else if (mode === 'null-user') this.success(null);
    else if (mode === 'throw') throw new TypeError('cannot read x-mode secret-mode-throw');
    else this.fail('Custom realm="x"', 400);
  },
};
const CustomValidator = PassportValidator(customStrategy);

// 3. A strategy registered by name in passport, its `info` carrying the granted scope.
const named = new HTTPBearer({ schemeName: 'Named' });
passport.use(
  'test-named-bearer',
  new BearerStrategy((token, done) => (token === 'named-token' ? done(null, { id: 7 }, { scope: 'read' }) : done(null, false))),
);
const NamedValidator = PassportValidator('test-named-bearer', {
  passport,
  principal: (user: { id: number }, info: { scope: string }) => ({ ...user, scope: info.scope }),
});

// 4. A strategy behind HTTP Basic whose error message quotes the credentials.
const basicScheme = new HTTPBasic({ schemeName: 'PassportBasic' });
const ldapStrategy: PassportStrategyLike = {
  name: 'ldap',
  authenticate(this: PassportActions, request: { headers: Record<string, string> }) {
    const [user, password] = Buffer.from(request.headers.authorization.slice(6), 'base64').toString().split(':');
    this.error(new Error(`bind failed for ${user} with ${password}`));
  },
};
const LdapValidator = PassportValidator(ldapStrategy);

@Controller()
class TestController {
  @Security(nestBearer) @Get('nest') nest(@CurrentUser() user: unknown) { return user; }
  @Security(nestBearer, ['read']) @Get('nest/read') read() { return { ok: 'read' }; }
  @Security(nestBearer, ['write']) @Get('nest/write') write() { return { ok: 'write' }; }
  @Security(custom) @Get('custom') custom(@CurrentUser() user: unknown) { return user; }
  @Security(named, ['read']) @Get('named') named(@CurrentUser() user: unknown) { return user; }
  @Security(basicScheme) @Get('ldap') ldap() { return { ok: 'ldap' }; }
}

const schemes = [
  { scheme: nestBearer, validator: NestBearerValidator },
  { scheme: custom, validator: CustomValidator },
  { scheme: named, validator: NamedValidator },
  { scheme: basicScheme, validator: LdapValidator },
];
const NOT_AUTHENTICATED = { statusCode: 401, message: 'Not authenticated', error: 'Unauthorized' };

describe.each(PLATFORMS)('PassportValidator (%s)', (platform) => {
  let t: TestApp;
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes })],
      providers: [NestBearerStrategy, NestBearerValidator, CustomValidator, NamedValidator, LdapValidator],
      controllers: [TestController],
    });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    nestVerifyCalls.length = 0;
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('a @nestjs/passport strategy (passport-http-bearer)', () => {
    it('success(user): the user is the principal', async () => {
      await t.http.get('/nest').set('Authorization', 'Bearer good-token').expect(200, { name: 'alice', scopes: ['read'] });
      expect(nestVerifyCalls).toEqual(['good-token']);
    });

    it('no credentials: the scheme answers 401 without running the strategy', async () => {
      const res = await t.http.get('/nest').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(nestVerifyCalls).toEqual([]);
    });

    it("fail(): the scheme's 401 and challenge, not the strategy's", async () => {
      const res = await t.http.get('/nest').set('Authorization', 'Bearer wrong-token').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(nestVerifyCalls).toEqual(['wrong-token']);
      expect(errors).not.toHaveBeenCalled();
    });

    it("error(err): the scheme's 401 (never 500), logged without the token", async () => {
      const res = await t.http.get('/nest').set('Authorization', 'Bearer boom-s3cret-token').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(errors).toHaveBeenCalledTimes(1);
      const [message, stack] = errors.mock.calls[0];
      expect(message).toBe(
        'Passport strategy NestBearerStrategy failed with an error; answering 401. Error: database down while checking [redacted]',
      );
      expect(stack).toMatch(/^Error: database down while checking \[redacted\]\n/);
      expect(JSON.stringify(errors.mock.calls)).not.toContain('s3cret');
    });

    it('an HttpException from the strategy passes through unchanged', async () => {
      const res = await t.http.get('/nest').set('Authorization', 'Bearer revoked-token').expect(403);
      expect(res.body).toEqual({ statusCode: 403, message: 'Token revoked', error: 'Forbidden' });
      expect(errors).not.toHaveBeenCalled();
    });

    it('the library still checks scopes on the principal', async () => {
      await t.http.get('/nest/read').set('Authorization', 'Bearer good-token').expect(200, { ok: 'read' });
      const res = await t.http.get('/nest/write').set('Authorization', 'Bearer good-token').expect(403);
      expect(res.body).toEqual({ statusCode: 403, message: 'Not enough permissions', error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="write"');
    });
  });

  describe('a strategy instance', () => {
    it('succeeds later (asynchronously)', async () => {
      await t.http.get('/custom').set('X-Mode', 'later').expect(200, { name: 'late' });
    });

    it('only the first action counts', async () => {
      await t.http.get('/custom').set('X-Mode', 'success-then-error').expect(200, { name: 'first' });
      expect(errors).not.toHaveBeenCalled();
    });

    it.each(['fail', 'pass', 'null-user'])("%s: the scheme's 401", async (mode) => {
      const res = await t.http.get('/custom').set('X-Mode', mode).expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('APIKey');
      expect(errors).not.toHaveBeenCalled();
    });

    it("redirect: the scheme's 401, with a warning", async () => {
      const res = await t.http.get('/custom').set('X-Mode', 'redirect').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(warnings).toHaveBeenCalledWith(
        'Passport strategy "custom" asked for a redirect, which an API scheme cannot follow; answering 401.',
      );
    });

    it("a throw from authenticate(): the scheme's 401, logged with the credentials masked", async () => {
      const res = await t.http.get('/custom').set('X-Mode', 'throw').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors.mock.calls[0][0]).toBe(
        'Passport strategy "custom" failed with an error; answering 401. TypeError: cannot read x-mode secret-mode-[redacted]',
      );
    });
  });

  it('masks a Basic user name and password in the log', async () => {
    const authorization = `Basic ${Buffer.from('carol:hunter22').toString('base64')}`;
    const res = await t.http.get('/ldap').set('Authorization', authorization).expect(401);
    expect(res.body).toEqual(NOT_AUTHENTICATED);
    expect(res.headers['www-authenticate']).toBe('Basic');
    expect(errors.mock.calls[0][0]).toBe(
      'Passport strategy "ldap" failed with an error; answering 401. Error: bind failed for [redacted] with [redacted]',
    );
    expect(JSON.stringify(errors.mock.calls)).not.toMatch(/carol|hunter22/);
  });

  describe('a strategy registered by name', () => {
    it('builds the principal from user and info, and its scopes count', async () => {
      await t.http.get('/named').set('Authorization', 'Bearer named-token').expect(200, { id: 7, scope: 'read' });
      const res = await t.http.get('/named').set('Authorization', 'Bearer other').expect(401);
      expect(res.body).toEqual(NOT_AUTHENTICATED);
    });
  });
});

describe('PassportValidator configuration errors', () => {
  it('a name needs the passport instance', () => {
    expect(() => PassportValidator('bearer')).toThrow(
      "PassportValidator('bearer'): a strategy given by name needs the passport instance it is registered in: " +
        "PassportValidator('bearer', { passport }) with `import passport from 'passport'`, or pass the strategy class.",
    );
  });

  it('rejects what is not a strategy', () => {
    expect(() => PassportValidator({} as PassportStrategyLike)).toThrow(
      'PassportValidator: [object Object] is not a passport strategy, a strategy class or a strategy name.',
    );
  });

  it('an unknown strategy name fails at start-up', async () => {
    const Unknown = PassportValidator('no-such-strategy', { passport });
    await expect(
      createTestApp('express', {
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: named, validator: Unknown }] })],
        providers: [Unknown],
      }),
    ).rejects.toThrow('PassportValidator: no passport strategy is registered as "no-such-strategy".');
  });

  it('a strategy class that is not a provider fails at start-up', async () => {
    const NotProvided = PassportValidator(NestBearerStrategy);
    await expect(
      createTestApp('express', {
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: nestBearer, validator: NotProvided }] })],
        providers: [NotProvided],
      }),
    ).rejects.toThrow('PassportValidator: the strategy NestBearerStrategy is not a provider. Add it to the providers of a module.');
  });

  it('the validator class is named after its strategy', () => {
    expect(NestBearerValidator.name).toBe('NestBearerValidator');
    expect(CustomValidator.name).toBe('PassportValidator("custom")');
    expect(NamedValidator.name).toBe('PassportValidator("test-named-bearer")');
  });
});
