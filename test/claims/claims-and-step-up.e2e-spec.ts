import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import {
  CurrentUser,
  equals,
  HTTPBearer,
  includes,
  JwtValidator,
  grant,
  oneOf,
  satisfies,
  Security,
  SecuritySchemesModule,
  type SecurityRefusal,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { buildDocument } from '../utils/openapi';
import { NOT_ENOUGH_PERMISSIONS, ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const bearer = new HTTPBearer({ schemeName: 'bearer', bearerFormat: 'JWT' });
/** Tokens of `appUser` are turned into a `User` instance, granted with claims or returned bare. */
const appUser = new HTTPBearer({ schemeName: 'appUser' });

class User {
  constructor(readonly name: string) {}
}

@Injectable()
class UserValidator implements SecurityValidator<{ credentials: string }, User> {
  validate({ credentials }: { credentials: string }) {
    const user = new User(credentials);
    return credentials === 'recorded' ? grant(user, { claims: { roles: ['admin'] } }) : user;
  }
}

@Security(bearer, { claims: { roles: includes('staff') } })
@Controller('admin')
class AdminController {
  @ApiOperation({ description: 'Lists the users of a tenant.' })
  @Security(bearer, { claims: { roles: includes('admin'), tid: equals('t1') } })
  @Get('users')
  users(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Get('reports')
  reports(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(bearer, { claims: { tier: [oneOf('gold', 'silver'), satisfies((tier) => tier !== 'silver', 'is not "silver"')] } })
  @Get('tiers')
  tiers(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

@Security(bearer, { acrValues: ['urn:mfa', 'urn:hwk'], maxAge: 600 })
@Controller('payments')
class PaymentsController {
  @Get()
  list(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Security(bearer, { acrValues: ['urn:hwk', 'urn:other'], maxAge: 60 })
  @Get('transfer')
  transfer(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

@Controller('app-user')
class AppUserController {
  @Security(appUser, { claims: { roles: includes('admin') } })
  @Get()
  me(@CurrentUser('name') name: string) {
    return { name };
  }
}

const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', iss: 'local', aud: 'api', iat: now(), exp: now() + 60, ...extra });
const token = (extra: Record<string, unknown> = {}) => craftJws({ alg: 'HS256', typ: 'JWT' }, claims(extra), SECRET);

const CLAIM_FAILED = { status: 403, body: NOT_ENOUGH_PERMISSIONS, challenge: 'Bearer error="insufficient_scope"' };
const stepUp = (description: string, acrValues: string, maxAge: number) => ({
  status: 401,
  body: { statusCode: 401, message: 'Insufficient user authentication', error: 'Unauthorized' },
  challenge:
    `Bearer error="insufficient_user_authentication", error_description="${description}", ` +
    `acr_values="${acrValues}", max_age="${maxAge}"`,
});
const NOT_STRONG = 'A different authentication level is required';
const NOT_RECENT = 'More recent authentication is required';

describe.each(PLATFORMS)('claim checks and step-up, with JwtValidator (%s)', (platform) => {
  let t: TestApp;
  const refusals: Pick<SecurityRefusal, 'reason' | 'status' | 'handler'>[] = [];
  const get = (path: string, jwt?: string) =>
    (jwt === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', `Bearer ${jwt}`)).then(outcome);

  beforeAll(async () => {
    const validator = new JwtValidator({ key: SECRET, algorithms: ['HS256'], issuer: 'local', audience: 'api' });
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [{ scheme: bearer, validator }, { scheme: appUser, validator: UserValidator }],
          onRefusal: ({ reason, status, handler }) => refusals.push({ reason, status, handler }),
        }),
      ],
      providers: [UserValidator],
      controllers: [AdminController, PaymentsController, AppUserController],
    });
  });
  afterAll(() => t.close());
  beforeEach(() => (refusals.length = 0));

  describe('claims, merged from the class and the handler', () => {
    it('200 when every check of both levels passes (array or space-separated roles)', async () => {
      expect(await get('/admin/users', token({ roles: ['staff', 'admin'], tid: 't1' }))).toEqual(ok({ sub: 'alice' }));
      expect(await get('/admin/users', token({ roles: 'admin staff', tid: 't1' }))).toEqual(ok({ sub: 'alice' }));
      expect(refusals).toEqual([]);
    });

    it.each([
      ['the handler role is missing', { roles: ['staff'], tid: 't1' }],
      ['the class role is missing', { roles: ['admin'], tid: 't1' }],
      ['the tenant differs', { roles: ['staff', 'admin'], tid: 't2' }],
      ['the tenant is missing', { roles: ['staff', 'admin'] }],
      ['roles is not a list', { roles: { admin: true, staff: true }, tid: 't1' }],
    ])('403 when %s, reported as claim_failed', async (_, extra) => {
      expect(await get('/admin/users', token(extra))).toEqual(CLAIM_FAILED);
      expect(refusals).toEqual([{ reason: 'claim_failed', status: 403, handler: 'AdminController.users' }]);
    });

    it("a handler without checks of its own gets the class's", async () => {
      expect(await get('/admin/reports', token({ roles: ['staff'] }))).toEqual(ok({ sub: 'alice' }));
      expect(await get('/admin/reports', token({ roles: ['guest'] }))).toEqual(CLAIM_FAILED);
    });

    it('several checks on one claim must all pass; a predicate only passes on true', async () => {
      expect(await get('/admin/tiers', token({ roles: 'staff', tier: 'gold' }))).toEqual(ok({ sub: 'alice' }));
      expect(await get('/admin/tiers', token({ roles: 'staff', tier: 'silver' }))).toEqual(CLAIM_FAILED);
      expect(await get('/admin/tiers', token({ roles: 'staff', tier: 'bronze' }))).toEqual(CLAIM_FAILED);
    });

    it('an invalid token is still a 401, before any check', async () => {
      expect((await get('/admin/users', token({ roles: ['staff', 'admin'], tid: 't1', exp: now() - 60 }))).status).toBe(401);
    });

    it('reads the claims a validator granted with an application user; a class instance returned bare has none and fails closed', async () => {
      expect(await get('/app-user', 'recorded')).toEqual(ok({ name: 'recorded' }));
      expect(await get('/app-user', 'not-recorded')).toEqual(CLAIM_FAILED);
    });
  });

  describe('step-up (RFC 9470)', () => {
    const fresh = () => now() - 10;

    it('401 with the challenge when the token has no acr, or one not accepted', async () => {
      expect(await get('/payments', token({ auth_time: fresh() }))).toEqual(stepUp(NOT_STRONG, 'urn:mfa urn:hwk', 600));
      expect(await get('/payments', token({ acr: 'urn:pwd', auth_time: fresh() }))).toEqual(stepUp(NOT_STRONG, 'urn:mfa urn:hwk', 600));
      expect(refusals.map(({ reason, status }) => [reason, status])).toEqual([
        ['step_up_required', 401],
        ['step_up_required', 401],
      ]);
    });

    it('401 when the authentication is too old or its time is missing', async () => {
      expect(await get('/payments', token({ acr: 'urn:mfa', auth_time: now() - 700 }))).toEqual(stepUp(NOT_RECENT, 'urn:mfa urn:hwk', 600));
      expect(await get('/payments', token({ acr: 'urn:mfa' }))).toEqual(stepUp(NOT_RECENT, 'urn:mfa urn:hwk', 600));
      expect(await get('/payments', token({ acr: 'urn:mfa', auth_time: String(fresh()) }))).toEqual(stepUp(NOT_RECENT, 'urn:mfa urn:hwk', 600));
    });

    it('200 with an accepted acr and a fresh auth_time', async () => {
      expect(await get('/payments', token({ acr: 'urn:mfa', auth_time: fresh() }))).toEqual(ok({ sub: 'alice' }));
      expect(await get('/payments', token({ acr: 'urn:hwk', auth_time: now() - 590 }))).toEqual(ok({ sub: 'alice' }));
    });

    it('levels narrow: the acr values both accept, and the shorter max age', async () => {
      expect(await get('/payments/transfer', token({ acr: 'urn:hwk', auth_time: fresh() }))).toEqual(ok({ sub: 'alice' }));
      expect(await get('/payments/transfer', token({ acr: 'urn:mfa', auth_time: fresh() }))).toEqual(stepUp(NOT_STRONG, 'urn:hwk', 60));
      expect(await get('/payments/transfer', token({ acr: 'urn:other', auth_time: fresh() }))).toEqual(stepUp(NOT_STRONG, 'urn:hwk', 60));
      expect(await get('/payments/transfer', token({ acr: 'urn:hwk', auth_time: now() - 120 }))).toEqual(stepUp(NOT_RECENT, 'urn:hwk', 60));
    });
  });

  it('the OpenAPI description states the checks after the written description', () => {
    const document = buildDocument(t.app);
    expect(document.paths['/admin/users'].get!.description).toBe(
      [
        'Lists the users of a tenant.',
        '',
        'Security checks besides scopes (not expressible in OpenAPI):',
        '- bearer: claim "roles" includes "staff"; claim "roles" includes "admin"; claim "tid" equals "t1"',
      ].join('\n'),
    );
    expect(document.paths['/admin/tiers'].get!.description).toBe(
      [
        'Security checks besides scopes (not expressible in OpenAPI):',
        '- bearer: claim "roles" includes "staff"; claim "tier" is one of "gold", "silver"; claim "tier" is not "silver"',
      ].join('\n'),
    );
    expect(document.paths['/payments/transfer'].get!.description).toBe(
      [
        'Security checks besides scopes (not expressible in OpenAPI):',
        '- bearer: claim "acr" is one of "urn:hwk"; the user authenticated (claim "auth_time") at most 60 s before the request',
      ].join('\n'),
    );
    expect(document.paths['/admin/users'].get!.responses['403']).toMatchObject({
      description: 'Not enough permissions: the credentials lack a required scope or fail a claim check (insufficient_scope).',
    });
    expect(document.paths['/payments'].get!.responses['401']).toMatchObject({
      description: expect.stringContaining('insufficient_user_authentication'),
    });
  });
});
