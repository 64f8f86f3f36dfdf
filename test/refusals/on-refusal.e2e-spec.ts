import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, HttpException, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import {
  APIKeyHeader,
  HTTPBasic,
  HTTPBearer,
  JwtValidator,
  Security,
  SecurityHttpException,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type SecurityRefusal,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { CaptureLogger } from '../utils/capture-logger';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const bearer = new HTTPBearer({ schemeName: 'bearer' });
const apiKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'apiKey' });
const basic = new HTTPBasic({ schemeName: 'basic' });
const signedBearer = new HTTPBearer({ schemeName: 'signed' });
const SECRET = 'on-refusal-test-secret-of-32-bytes-at-least';
const signed = (claims: object, secret = SECRET) => jwt.sign(claims, secret, { algorithm: 'HS256' });

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const same = (value: string, expected: string) => timingSafeEqual(sha256(value), sha256(expected));
/** The one API key, `k`. */
const keyValidator: SecurityValidator<string> = { validate: (key) => (same(key, 'k') ? { sub: 'service' } : null) };
/** The one Basic user, alice:pw. */
const basicValidator: SecurityValidator<HTTPBasicCredentials> = {
  validate: ({ username, password }) => (same(`${username}:${password}`, 'alice:pw') ? { sub: username } : null),
};

/** The token names what the validator does with it. */
@Injectable()
class BehaviourValidator implements SecurityValidator<{ credentials: string }> {
  validate({ credentials }: { credentials: string }) {
    switch (credentials) {
      case 'falsy':
        return null;
      case 'throws':
        throw new TypeError('a bug in the validator');
      case 'http-401':
        throw new HttpException('Refused by the application', 401);
      case 'expired':
        throw new SecurityHttpException(401, 'Could not validate credentials', { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, 'expired');
      case 'detailed':
        throw new SecurityHttpException(401, 'Could not validate credentials', {}, 'malformed', 'no tenant claim');
      case 'detail-is-reason':
        throw new SecurityHttpException(401, 'Could not validate credentials', {}, 'not_yet_valid', 'not yet valid');
      case 'unavailable':
        throw new SecurityHttpException(503, 'The identity provider is unreachable', { 'Retry-After': '30' }, 'key_set_unavailable');
      default:
        return { sub: credentials, scopes: ['read'] };
    }
  }
}

@Controller()
class RefusalsController {
  @Security(bearer)
  @Get('items')
  items() {
    return 'items';
  }

  @Security(bearer, ['write'])
  @Get('write')
  write() {
    return 'written';
  }

  @Security(bearer)
  @Security(apiKey)
  @Get('either')
  either() {
    return 'either';
  }

  @Security(signedBearer)
  @Get('signed')
  signedRoute() {
    return 'signed';
  }

  @Security(basic)
  @Get('basic')
  basicRoute() {
    return 'basic';
  }
}

type Seen = Omit<SecurityRefusal, 'context'> & { transport: string };

describe.each(PLATFORMS)('refusals reach onRefusal and the debug log (%s)', (platform) => {
  let t: TestApp;
  const logger = new CaptureLogger();
  const seen: Seen[] = [];
  let hook: (refusal: SecurityRefusal) => void = () => undefined;

  beforeAll(async () => {
    t = await createTestApp(
      platform,
      {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: bearer, validator: BehaviourValidator },
              { scheme: apiKey, validator: keyValidator },
              { scheme: basic, validator: basicValidator },
              { scheme: signedBearer, validator: new JwtValidator({ algorithms: ['HS256'], key: SECRET }) },
            ],
            onRefusal: (refusal) => hook(refusal),
          }),
        ],
        providers: [BehaviourValidator],
        controllers: [RefusalsController],
      },
      (app) => app.useLogger(logger),
    );
  });
  afterAll(() => t.close());
  beforeEach(() => {
    seen.length = 0;
    logger.clear();
    hook = ({ context, ...refusal }) => seen.push({ ...refusal, transport: context.getType() });
  });

  const refusal = (reason: string, status: number, schemes: string[], handler: string): Seen => ({
    reason: reason as Seen['reason'],
    status,
    schemes,
    handler,
    transport: 'http',
  });

  it.each([
    ['credentials_missing', {}, 401],
    ['principal_refused', { Authorization: 'Bearer falsy' }, 401],
    ['validator_error', { Authorization: 'Bearer throws' }, 401],
    ['principal_refused', { Authorization: 'Bearer http-401' }, 401],
    ['expired', { Authorization: 'Bearer expired' }, 401],
    ['key_set_unavailable', { Authorization: 'Bearer unavailable' }, 503],
  ] as const)('%s: one call and one debug line, the answer unchanged', async (reason, headers, status) => {
    const response = await t.http.get('/items?api_key=secret-in-query').set(headers);
    expect(response.status).toBe(status);
    expect(seen).toEqual([refusal(reason, status, ['bearer'], 'RefusalsController.items')]);
    expect(logger.messages('debug', 'SecurityGuard').filter((line) => line.startsWith('Refused'))).toEqual([
      `Refused GET /items (RefusalsController.items) with ${status}, scheme "bearer": ${reason}`,
    ]);
  });

  it('a token JwtValidator refuses: one debug line in all, with the detail, never the token', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const tokens = {
      forged: signed({ sub: 'alice', exp }, 'another-secret-of-32-bytes-at-the-least'),
      withoutExp: signed({ sub: 'alice' }),
      expired: signed({ sub: 'alice', exp: exp - 3600 }),
    };
    for (const token of Object.values(tokens)) {
      const response = await t.http.get('/signed').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    const route = 'Refused GET /signed (RefusalsController.signedRoute) with 401, scheme "signed"';
    expect(logger.lines.filter((line) => line.level === 'debug').map((line) => line.message)).toEqual([
      `${route}: signature_invalid (invalid signature)`,
      `${route}: malformed (exp is missing or not a number)`,
      `${route}: expired`,
    ]);
    expect(seen.map(({ reason }) => reason)).toEqual(['signature_invalid', 'malformed', 'expired']);
    const logged = JSON.stringify(logger.lines);
    for (const token of Object.values(tokens)) expect(logged).not.toContain(token.split('.')[2]);
  });

  it('a detail equal to the reason is not repeated; another one is added in parentheses', async () => {
    await t.http.get('/items').set('Authorization', 'Bearer detailed');
    await t.http.get('/items').set('Authorization', 'Bearer detail-is-reason');
    expect(logger.messages('debug', 'SecurityGuard')).toEqual([
      'Refused GET /items (RefusalsController.items) with 401, scheme "bearer": malformed (no tenant claim)',
      'Refused GET /items (RefusalsController.items) with 401, scheme "bearer": not_yet_valid',
    ]);
  });

  it('scope_missing: a 403', async () => {
    const response = await t.http.get('/write').set('Authorization', 'Bearer alice');
    expect(response.status).toBe(403);
    expect(seen).toEqual([refusal('scope_missing', 403, ['bearer'], 'RefusalsController.write')]);
  });

  it('malformed: credentials the scheme cannot read', async () => {
    const response = await t.http.get('/basic').set('Authorization', 'Basic !!!');
    expect(response.status).toBe(401);
    expect(seen).toEqual([refusal('malformed', 401, ['basic'], 'RefusalsController.basicRoute')]);
  });

  it('every alternative missing: one refusal naming each alternative', async () => {
    const response = await t.http.get('/either');
    expect(response.status).toBe(401);
    expect(seen).toEqual([refusal('credentials_missing', 401, ['bearer', 'apiKey'], 'RefusalsController.either')]);
    expect(logger.messages('debug', 'SecurityGuard')).toContain(
      'Refused GET /either (RefusalsController.either) with 401, schemes "bearer", "apiKey": credentials_missing',
    );
  });

  it('alternatives: the refusal answered is the one reported', async () => {
    const response = await t.http.get('/either').set('Authorization', 'Bearer expired');
    expect(response.status).toBe(401);
    expect(seen).toEqual([refusal('expired', 401, ['bearer'], 'RefusalsController.either')]);
  });

  it('an accepted request reports nothing', async () => {
    expect((await t.http.get('/either').set('X-API-Key', 'k')).status).toBe(200);
    expect((await t.http.get('/items').set('Authorization', 'Bearer alice')).status).toBe(200);
    expect((await t.http.get('/basic').set('Authorization', `Basic ${Buffer.from('alice:pw').toString('base64')}`)).status).toBe(200);
    expect(seen).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('the hook is never given the credentials', async () => {
    let given: SecurityRefusal | undefined;
    hook = (refusal) => (given = refusal);
    await t.http.get('/items').set('Authorization', 'Bearer throws');
    const { context, ...rest } = given!;
    expect(rest.reason).toBe('validator_error');
    expect(JSON.stringify(rest)).not.toContain('throws');
    expect(Object.keys(rest).sort()).toEqual(['handler', 'reason', 'schemes', 'status']);
    expect(context.getType()).toBe('http');
  });

  it('a hook that throws changes nothing; one WARN, once', async () => {
    hook = () => {
      throw new RangeError('metrics are down');
    };
    for (let i = 0; i < 3; i++) {
      const response = await t.http.get('/items').set('Authorization', 'Bearer expired');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    hook = () => Promise.reject(new Error('async metrics are down'));
    expect((await t.http.get('/items')).status).toBe(401);
    expect(logger.messages('warn', 'SecurityGuard')).toEqual([
      'The onRefusal hook threw RangeError; refusals are answered as usual. (Said once.)',
    ]);
  });
});

describe.each(PLATFORMS)('onRefusal from forRootAsync (%s)', (platform) => {
  it('calls the hook the factory returns', async () => {
    const reasons: string[] = [];
    const t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRootAsync({
          useFactory: async () => ({
            schemes: [
              { scheme: bearer, validator: BehaviourValidator },
              { scheme: apiKey, validator: keyValidator },
              { scheme: basic, validator: basicValidator },
              { scheme: signedBearer, validator: new JwtValidator({ algorithms: ['HS256'], key: SECRET }) },
            ],
            onRefusal: ({ reason }: SecurityRefusal) => void reasons.push(reason),
          }),
        }),
      ],
      providers: [BehaviourValidator],
      controllers: [RefusalsController],
    });
    try {
      expect((await t.http.get('/items')).status).toBe(401);
      expect(reasons).toEqual(['credentials_missing']);
    } finally {
      await t.close();
    }
  });
});

describe('onRefusal configuration', () => {
  it('refuses a hook that is not a function at start-up', async () => {
    await expect(
      createTestApp('express', {
        imports: [SecuritySchemesModule.forRoot({ schemes: [bearer], onRefusal: 'log' as never })],
      }),
    ).rejects.toThrow('SecuritySchemesModule: onRefusal must be a function (refusal) => void.');
  });
});
