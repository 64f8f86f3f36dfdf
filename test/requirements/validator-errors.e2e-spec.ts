import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, ForbiddenException, Get, HttpException, Injectable, Logger } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  Security,
  SecurityHttpException,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const httpBearer = new HTTPBearer();
const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The second alternative of /alternatives: one key, `k`, compared in constant time (the error cases send none). */
const keyValidator: SecurityValidator<string> = { validate: (key) => (timingSafeEqual(sha256(key), sha256('k')) ? { key } : null) };

const SECRET = 'db password=hunter2';
const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token expired"';

/** Fails in every way a validator can, chosen by the token. */
@Injectable()
class FailingValidator implements SecurityValidator<HTTPAuthorizationCredentials> {
  validate({ credentials }: HTTPAuthorizationCredentials): unknown {
    switch (credentials) {
      case 'expired':
        throw new SecurityHttpException(401, 'Token expired', { 'WWW-Authenticate': INVALID_TOKEN });
      case 'async-expired':
        return Promise.reject(new SecurityHttpException(401, 'Token expired', { 'WWW-Authenticate': INVALID_TOKEN }));
      case 'banned':
        throw new ForbiddenException('Account disabled');
      case 'teapot':
        throw new HttpException({ code: 'TEAPOT', retry: false }, 418);
      case 'crash':
        throw new Error(SECRET);
      case 'async-crash':
        return Promise.reject(new Error(SECRET));
      case 'throws-string':
        throw SECRET;
      case 'false':
        return false;
      case 'undefined':
        return undefined;
      case 'async-null':
        return Promise.resolve(null);
      case 'empty-string':
        return '';
      case 'zero':
        return 0;
      case 'nan':
        return NaN;
      default:
        return { sub: credentials };
    }
  }
}

@Controller()
class ErrorsController {
  @Security(httpBearer)
  @Get('single')
  single(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer)
  @Security(apiKey)
  @Get('alternatives')
  alternatives(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Validators' errors are handled the same on a one-scheme route and on a route with alternatives. */
const ROUTES = ['/single', '/alternatives'];

describe.each(PLATFORMS)('errors thrown by validators (%s)', (platform) => {
  let t: TestApp;
  let logged: jest.SpyInstance;
  let warned: jest.SpyInstance;
  let debugged: jest.SpyInstance;
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: httpBearer, validator: FailingValidator },
            { scheme: apiKey, validator: keyValidator },
          ],
        }),
      ],
      providers: [FailingValidator],
      controllers: [ErrorsController],
    });
  });
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    debugged = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => t.close());

  describe.each(ROUTES)('on %s', (path) => {
    it('passes a SecurityHttpException through with its headers', async () => {
      const expected = {
        status: 401,
        body: { statusCode: 401, message: 'Token expired', error: 'Unauthorized' },
        challenge: INVALID_TOKEN,
      };
      expect(await get(path, 'expired')).toEqual(expected);
      expect(await get(path, 'async-expired')).toEqual(expected);
    });

    it('passes any other HttpException through unchanged', async () => {
      expect(await get(path, 'banned')).toEqual({
        status: 403,
        body: { statusCode: 403, message: 'Account disabled', error: 'Forbidden' },
        challenge: undefined,
      });
      expect(await get(path, 'teapot')).toEqual({ status: 418, body: { code: 'TEAPOT', retry: false }, challenge: undefined });
      expect(logged).not.toHaveBeenCalled();
    });

    it('turns any other error into the scheme 401: one WARN line without the message, the stack at debug', async () => {
      for (const token of ['crash', 'async-crash', 'throws-string']) {
        const response = await t.http.get(path).set('Authorization', `Bearer ${token}`);
        expect(outcome(response)).toEqual(unauthorized('Bearer'));
        expect(response.text).not.toContain('hunter2');
      }
      expect(logged).not.toHaveBeenCalled();
      expect(warned.mock.calls).toEqual([
        ['The validator of scheme "HTTPBearer" threw Error; answering 401.'],
        ['The validator of scheme "HTTPBearer" threw Error; answering 401.'],
        ['The validator of scheme "HTTPBearer" threw string; answering 401.'],
      ]);
      // The two Errors' stacks, and one refusal line per request (lib/core/security-refusal.ts).
      const stacks = debugged.mock.calls.filter(([line]) => !String(line).startsWith('Refused '));
      expect(stacks).toHaveLength(2);
      expect(stacks[0][0]).toMatch(/^Error: db password=hunter2\n\s+at /);
      const refusals = debugged.mock.calls.filter(([line]) => String(line).startsWith('Refused '));
      expect(refusals.map(([line]) => String(line).replace(/^.*: /, ''))).toEqual(['validator_error', 'validator_error', 'validator_error']);
      expect(refusals.join('\n')).not.toContain('hunter2');
    });

    it('rejects every falsy principal with the scheme 401 (fail closed)', async () => {
      for (const token of ['false', 'undefined', 'async-null', 'empty-string', 'zero', 'nan']) {
        expect(await get(path, token)).toEqual(unauthorized('Bearer'));
      }
      expect(logged).not.toHaveBeenCalled();
    });

    it('accepts other tokens', async () => {
      expect(await get(path, 'fine')).toEqual(ok({ user: { sub: 'fine' } }));
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: { HTTPBearer: { headers: { Authorization: 'Bearer fine' } }, APIKeyHeader: { headers: { 'X-API-Key': 'k' } } },
    });
  });
});
