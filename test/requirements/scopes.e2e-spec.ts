import { Controller, Get, Injectable } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const httpBearer = new HTTPBearer();
// validatedBy: 'handler' (no validator): the principal is the key string, which shows no scopes.
const rawKey = new APIKeyHeader({ name: 'X-API-Key' });

/** Principals of every shape a granted-scope reader meets, chosen by the token. */
const PRINCIPALS: Record<string, object> = {
  array: { sub: 'array', scopes: ['read', 'write'] },
  string: { sub: 'string', scope: 'read write' },
  'read-only': { sub: 'read-only', scopes: ['read'] },
  none: { sub: 'none' },
  'scopes-as-string': { sub: 'scopes-as-string', scopes: 'read write' },
  permissions: { sub: 'permissions', permissions: ['read', 'write'] },
};

@Injectable()
class ShapesValidator implements SecurityValidator<HTTPAuthorizationCredentials> {
  validate({ credentials }: HTTPAuthorizationCredentials) {
    return PRINCIPALS[credentials] ?? null;
  }
}

@Controller()
class ScopedController {
  @Security(httpBearer, ['read', 'write'])
  @Get('write')
  write(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }

  @Security(httpBearer)
  @Get('any-scope')
  anyScope(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }

}

/** A route no request can pass: a bare key cannot show scopes (start-up logs a warning about it). */
@Controller()
class RawKeyController {
  @Security(rawKey, ['read'])
  @Get('raw-key')
  rawKey() {
    return { reached: true };
  }
}

const auth = (principal: string) => ({ Authorization: `Bearer ${principal}` });

describe.each(PLATFORMS)('scopes (%s)', (platform) => {
  describe('with the default granted-scope reader', () => {
    let t: TestApp;
    const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: httpBearer, validator: ShapesValidator },
              { scheme: rawKey, validatedBy: 'handler' },
            ],
          }),
        ],
        providers: [ShapesValidator],
        controllers: [ScopedController, RawKeyController],
      });
    });
    afterAll(() => t.close());

    it('reads principal.scopes (array) and principal.scope (space-separated)', async () => {
      expect(await get('/write', auth('array'))).toEqual(ok({ sub: 'array' }));
      expect(await get('/write', auth('string'))).toEqual(ok({ sub: 'string' }));
    });

    it('answers 403 with an insufficient_scope challenge listing every required scope', async () => {
      expect(await get('/write', auth('read-only'))).toEqual(forbidden('read write'));
    });

    it('fails closed when no granted scopes can be read', async () => {
      expect(await get('/write', auth('none'))).toEqual(forbidden('read write'));
      expect(await get('/write', auth('scopes-as-string'))).toEqual(forbidden('read write'));
      expect(await get('/write', auth('permissions'))).toEqual(forbidden('read write'));
    });

    it("fails closed for a scheme without a validator (validatedBy: 'handler'), whose principal is a bare key", async () => {
      expect(await get('/raw-key', { 'X-API-Key': 'k' })).toEqual(forbidden('read'));
    });

    it('does not read scopes on a route that requires none', async () => {
      expect(await get('/any-scope', auth('none'))).toEqual(ok({ sub: 'none' }));
    });

    it('checks authentication before scopes', async () => {
      expect(await get('/write')).toEqual(unauthorized('Bearer'));
      expect(await get('/write', auth('unknown'))).toEqual(unauthorized('Bearer'));
    });

    it('documents the required scopes', () => {
      expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
        'GET /write': [{ HTTPBearer: ['read', 'write'] }],
        'GET /any-scope': [{ HTTPBearer: [] }],
        'GET /raw-key': [{ APIKeyHeader: ['read'] }],
      });
    });

    it('enforces what it documents (but for /raw-key, which no one can pass by design)', async () => {
      await expectAgreement(t, {
        credentials: { HTTPBearer: (scopes) => ({ headers: auth(scopes.length ? 'array' : 'none') }) },
        document: withoutPath(buildDocument(t.app), '/raw-key'),
      });
    });
  });

  describe('with a custom getScopes', () => {
    let t: TestApp;
    const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [{ scheme: httpBearer, validator: ShapesValidator }],
            getScopes: (principal) => (principal as { permissions?: string[] }).permissions,
          }),
        ],
        providers: [ShapesValidator],
        controllers: [ScopedController],
      });
    });
    afterAll(() => t.close());

    it('reads the granted scopes where getScopes says', async () => {
      expect(await get('/write', auth('permissions'))).toEqual(ok({ sub: 'permissions' }));
    });

    it('no longer reads principal.scopes, and fails closed when getScopes finds nothing', async () => {
      expect(await get('/write', auth('array'))).toEqual(forbidden('read write'));
      expect(await get('/write', auth('string'))).toEqual(forbidden('read write'));
    });

    it('enforces what it documents', async () => {
      await expectAgreement(t, {
        credentials: {
          HTTPBearer: (scopes) => ({ headers: auth(scopes.length ? 'permissions' : 'none') }),
        },
      });
    });
  });
});

function withoutPath<T extends { paths: Record<string, unknown> }>(document: T, path: string): T {
  const { [path]: _removed, ...paths } = document.paths;
  return { ...document, paths };
}
