import type { OpenAPIObject } from '@nestjs/swagger';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { checkAgreement, expectAgreement } from './agreement';
import { anonymousUser, docsAppCredentials, docsAppMetadata } from './docs-app';

/** A copy of the document with one operation's security replaced (`undefined` removes the key). */
function withSecurity(document: OpenAPIObject, path: string, security: Record<string, string[]>[] | undefined): OpenAPIObject {
  const copy: OpenAPIObject = JSON.parse(JSON.stringify(document));
  const operation = copy.paths[path].get ?? copy.paths[path].post!;
  if (security === undefined) delete operation.security;
  else operation.security = security;
  return copy;
}

describe.each(PLATFORMS)('the document agrees with the guard (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, docsAppMetadata);
  });
  afterAll(() => t.close());

  it('checks every operation with and without credentials', async () => {
    const report = await expectAgreement(t, { credentials: docsAppCredentials, isAnonymous: anonymousUser });
    expect(report.checked).toEqual([
      'GET /docs/inherited without credentials: 401',
      'GET /docs/inherited with APIKeyHeader + OAuth2PasswordBearer[read]: 2xx',
      'GET /docs/inherited with APIKeyHeader + OAuth2PasswordBearer[read] lacking scopes: 403',
      'GET /docs/scopes without credentials: 401',
      'GET /docs/scopes with APIKeyHeader + OAuth2PasswordBearer[read write]: 2xx',
      'GET /docs/scopes with APIKeyHeader + OAuth2PasswordBearer[read write] lacking scopes: 403',
      'GET /docs/either without credentials: 401',
      'GET /docs/either with APIKeyHeader + OAuth2PasswordBearer[read write]: 2xx',
      'GET /docs/either with APIKeyHeader + OAuth2PasswordBearer[read write] lacking scopes: 403',
      'GET /docs/either with APIKeyHeader + OAuth2PasswordBearer[read] + APIKeyQuery: 2xx',
      'GET /docs/and without credentials: 401',
      'GET /docs/and with APIKeyHeader + OAuth2PasswordBearer[read write]: 2xx',
      'GET /docs/and with APIKeyHeader + OAuth2PasswordBearer[read write] lacking scopes: 403',
      'GET /docs/public without credentials: 2xx',
      'GET /docs/optional without credentials: 2xx',
      'GET /docs/optional with Session: 2xx',
      'GET /docs/guarded without credentials: 401',
      'GET /docs/guarded with APIKeyQuery: 2xx',
      'POST /docs/items/{id} without credentials: 401',
      'POST /docs/items/{id} with APIKeyHeader + OAuth2PasswordBearer[read]: 2xx',
      'POST /docs/items/{id} with APIKeyHeader + OAuth2PasswordBearer[read] lacking scopes: 403',
      'GET /open without credentials: 2xx',
    ]);
  });

  it('agrees with a document that has a top-level requirement', async () => {
    await expectAgreement(t, {
      credentials: docsAppCredentials,
      document: buildDocument(t.app, (builder) => builder.addSecurityRequirements('APIKeyHeader')),
    });
  });

  describe('reports each kind of disagreement', () => {
    const failuresFor = async (document: OpenAPIObject, credentials = docsAppCredentials) =>
      (await checkAgreement(t, { credentials, document, isAnonymous: anonymousUser })).failures;

    it('a secured operation documented as open', async () => {
      expect(await failuresFor(withSecurity(buildDocument(t.app), '/docs/guarded', undefined))).toEqual([
        'GET /docs/guarded is documented as open but answered 401 (WWW-Authenticate: APIKey) without credentials',
      ]);
    });

    it('an open operation documented as secured', async () => {
      expect(await failuresFor(withSecurity(buildDocument(t.app), '/open', [{ APIKeyHeader: [] }]))).toEqual([
        'GET /open is documented as secured but answered 200 without credentials',
      ]);
    });

    it('an operation that falls back to a top-level requirement it does not enforce', async () => {
      const document = withSecurity(
        buildDocument(t.app, (builder) => builder.addSecurityRequirements('Session')),
        '/docs/scopes',
        undefined,
      );
      expect(await failuresFor(document)).toEqual([
        'GET /docs/scopes answered 401 (WWW-Authenticate: APIKey) with the credentials of Session',
      ]);
    });

    it('fewer scopes documented than enforced', async () => {
      const document = withSecurity(buildDocument(t.app), '/docs/scopes', [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }]);
      expect(await failuresFor(document)).toEqual([
        'GET /docs/scopes answered 403 (WWW-Authenticate: Bearer error="insufficient_scope", scope="read write") ' +
          'with the credentials of APIKeyHeader + OAuth2PasswordBearer[read]',
      ]);
    });

    it('scopes documented but not enforced', async () => {
      const document = withSecurity(buildDocument(t.app), '/docs/guarded', [{ APIKeyHeader: ['read'] }]);
      expect(await failuresFor(document, { ...docsAppCredentials, APIKeyHeader: () => ({ headers: { 'X-API-Key': 'svc;' } }) })).toEqual([
        'GET /docs/guarded answered 401 (WWW-Authenticate: APIKey) with the credentials of APIKeyHeader[read]',
        'GET /docs/guarded answered 401 (WWW-Authenticate: APIKey) with the credentials of APIKeyHeader[read] but none of its scopes',
      ]);
    });

    it('a required operation documented as optional', async () => {
      const document = withSecurity(buildDocument(t.app), '/docs/guarded', [{ APIKeyQuery: [] }, {}]);
      expect(await failuresFor(document)).toEqual([
        'GET /docs/guarded is documented as optional but answered 401 (WWW-Authenticate: APIKey) without credentials',
      ]);
    });

    it('a scheme missing from the components, and a scheme without credentials', async () => {
      const document = withSecurity(buildDocument(t.app), '/docs/guarded', [{ Ghost: [] }, { APIKeyQuery: [] }]);
      const { APIKeyQuery: _omitted, ...credentials } = docsAppCredentials;
      expect(await failuresFor(document, credentials)).toEqual([
        'GET /docs/either: no credentials given for APIKeyQuery',
        'GET /docs/guarded lists Ghost, missing from components.securitySchemes',
        'GET /docs/guarded: no credentials given for APIKeyQuery',
      ]);
    });
  });
});
