import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  CurrentCredentials,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type SecurityScopes,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();
const optionalBearer = new HTTPBearer({ schemeName: 'OptionalBearer', autoError: false });
const session = new APIKeyCookie({ name: 'session' });

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The one open session, `s1` (compared in constant time); the principal is its id. */
const sessionValidator: SecurityValidator<string> = { validate: (id) => (timingSafeEqual(sha256(id), sha256('s1')) ? id : null) };

@Controller('and')
class AndController {
  @SecurityAll({ scheme: apiKey }, { scheme: httpBearer, scopes: ['write'] })
  @Get('both')
  both(
    @CurrentUser() user: unknown,
    @CurrentCredentials(apiKey) key: unknown,
    @CurrentCredentials('HTTPBearer') credentials: unknown,
    @CurrentScopes(apiKey) keyScopes: SecurityScopes,
    @CurrentScopes(httpBearer) bearerScopes: SecurityScopes,
  ) {
    return { user, key, credentials, keyScopes: keyScopes.scopes, bearerScopes: bearerScopes.scopes };
  }

  @SecurityAll({ scheme: apiKey }, { scheme: httpBearer })
  @Security(session)
  @Get('both-or-cookie')
  bothOrCookie(@CurrentUser() user: unknown) {
    return { user };
  }

  @SecurityAll({ scheme: apiKey }, { scheme: optionalBearer })
  @Get('key-maybe-token')
  keyMaybeToken(@CurrentUser('sub') sub: unknown, @CurrentCredentials(optionalBearer) credentials: unknown) {
    return { sub, credentials };
  }
}

@SecurityAll({ scheme: apiKey, scopes: ['a'] }, { scheme: httpBearer })
@Controller('merged')
class MergedAndController {
  @SecurityAll({ scheme: httpBearer, scopes: ['write'] }, { scheme: apiKey, scopes: ['b', 'a'] })
  @Get()
  merged(@CurrentScopes(apiKey) keyScopes: SecurityScopes, @CurrentScopes(httpBearer) bearerScopes: SecurityScopes) {
    return { keyScopes: keyScopes.scopes, bearerScopes: bearerScopes.scopes };
  }
}

const KEY = { 'X-API-Key': token('svc') };

describe.each(PLATFORMS)('AND: @SecurityAll (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: apiKey, validator: TokenValidator },
            { scheme: httpBearer, validator: TokenValidator },
            { scheme: optionalBearer, validator: TokenValidator },
            { scheme: session, validator: sessionValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [AndController, MergedAndController],
    });
  });
  afterAll(() => t.close());

  it('passes with every scheme, each validated with its own scopes', async () => {
    expect(await get('/and/both', { ...KEY, ...bearer('ann', ['write']) })).toEqual(
      ok({
        user: { sub: 'svc', scopes: [], required: [] },
        key: 'svc;',
        credentials: { scheme: 'Bearer', credentials: 'ann;write' },
        keyScopes: [],
        bearerScopes: ['write'],
      }),
    );
  });

  it('answers 401 with the challenge of the first missing scheme', async () => {
    expect(await get('/and/both', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/and/both', bearer('ann', ['write']))).toEqual(unauthorized('APIKey'));
    expect(await get('/and/both')).toEqual(unauthorized('APIKey'));
  });

  it('answers 401 when one scheme is rejected, 403 when one lacks scopes', async () => {
    expect(await get('/and/both', { 'X-API-Key': token('rejected'), ...bearer('ann', ['write']) })).toEqual(
      unauthorized('APIKey'),
    );
    expect(await get('/and/both', { ...KEY, ...bearer('ann') })).toEqual(forbidden('write'));
  });

  it('treats an AND as one alternative among others', async () => {
    expect(await get('/and/both-or-cookie', { Cookie: 'session=s1' })).toEqual(ok({ user: 's1' }));
    expect(await get('/and/both-or-cookie', { Cookie: 'session=s2' })).toEqual(unauthorized('APIKey'));
    expect(await get('/and/both-or-cookie', { ...KEY, ...bearer('ann') })).toEqual(
      ok({ user: { sub: 'svc', scopes: [], required: [] } }),
    );
    expect(await get('/and/both-or-cookie', KEY)).toEqual(unauthorized('Bearer, APIKey'));
    expect(await get('/and/both-or-cookie')).toEqual(unauthorized('APIKey'));
  });

  it('lets an autoError: false member of an AND be absent', async () => {
    expect(await get('/and/key-maybe-token', KEY)).toEqual(ok({ sub: 'svc', credentials: null }));
    expect(await get('/and/key-maybe-token', { ...KEY, ...bearer('ann') })).toEqual(
      ok({ sub: 'svc', credentials: { scheme: 'Bearer', credentials: 'ann;' } }),
    );
    expect(await get('/and/key-maybe-token', bearer('ann'))).toEqual(unauthorized('APIKey'));
  });

  it('merges the same AND across levels into one requirement, scopes unioned per scheme', async () => {
    expect(await get('/merged', { 'X-API-Key': token('svc', ['a', 'b']), ...bearer('ann', ['write']) })).toEqual(
      ok({ keyScopes: ['a', 'b'], bearerScopes: ['write'] }),
    );
    expect(await get('/merged', { 'X-API-Key': token('svc', ['a']), ...bearer('ann', ['write']) })).toEqual(
      forbidden('a b'),
    );
  });

  it('documents an AND as one object with several keys', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /and/both': [{ APIKeyHeader: [], HTTPBearer: ['write'] }],
      'GET /and/both-or-cookie': [{ APIKeyHeader: [], HTTPBearer: [] }, { APIKeyCookie: [] }],
      'GET /and/key-maybe-token': [{ APIKeyHeader: [], OptionalBearer: [] }, { APIKeyHeader: [] }],
      'GET /merged': [{ APIKeyHeader: ['a', 'b'], HTTPBearer: ['write'] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        APIKeyHeader: (scopes) => ({ headers: { 'X-API-Key': token('svc', scopes) } }),
        HTTPBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        OptionalBearer: { headers: bearer('ann') },
        APIKeyCookie: { cookies: { session: 's1' } },
      },
    });
  });
});
