import { securityByOperation } from '../utils/openapi';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { startSample } from './sample-app';

const SCHEMES = {
  OAuth2PasswordBearer: {
    type: 'oauth2',
    flows: {
      password: {
        tokenUrl: 'token',
        scopes: { me: 'Read information about the current user.', items: 'Read items.' },
      },
    },
  },
  HTTPBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'The HTTP Basic tutorial: user name stanleyjobson, password swordfish.',
  },
  APIKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'A service key. The sample accepts `sample-service-key` (the reporting service).',
  },
  PassportBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The same access tokens, verified by a passport-http-bearer strategy. Paste an access_token from POST /token.',
  },
  OpenIdConnect: {
    type: 'openIdConnect',
    openIdConnectUrl: '/.well-known/openid-configuration',
    description: "The sample's own discovery document offers the password flow of POST /token.",
  },
};

const SECURITY = {
  'POST /token': [], // @SkipSecurity(): public on purpose
  'POST /logout': [{ OAuth2PasswordBearer: [] }],
  'POST /logout/all': [{ OAuth2PasswordBearer: [] }],
  'GET /users/me': [{ OAuth2PasswordBearer: ['me'] }],
  'GET /users/me/items': [{ OAuth2PasswordBearer: ['me', 'items'] }],
  'GET /status': [{ OAuth2PasswordBearer: [] }],
  'GET /basic/users/me': [{ HTTPBasic: [] }],
  'GET /reports': [{ APIKeyHeader: [] }, { OAuth2PasswordBearer: [] }],
  'GET /greeting': [{ OAuth2PasswordBearer: [] }, {}],
  'GET /passport/me': [{ PassportBearer: [] }],
  'GET /oidc/userinfo': [{ OpenIdConnect: ['me'] }],
};

describe.each(PLATFORMS)('sample: Swagger UI and the OpenAPI document (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  it('serves Swagger UI at /docs, offline, without persisted authorization', async () => {
    const page = await t.http.get('/docs').redirects(1).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<div id="swagger-ui"></div>');
    expect(page.text).not.toMatch(/src="https?:/);
    const init = await t.http.get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"persistAuthorization": false');
    await t.http.get('/docs/swagger-ui-bundle.js').expect(200);
  });

  it('lists every scheme the sample registers, in registration order', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(document.components.securitySchemes).toStrictEqual(SCHEMES);
    expect(Object.keys(document.components.securitySchemes)).toEqual(Object.keys(SCHEMES));
  });

  it("writes each operation's security from the same requirements the guard enforces", async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(securityByOperation(document)).toStrictEqual(SECURITY);
  });

  it('documents the token route as a form of either grant, and leaves out the discovery document and the redirect', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const content = document.paths['/token'].post.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(['application/x-www-form-urlencoded', 'multipart/form-data']);
    const [password, refresh] = content['application/x-www-form-urlencoded'].schema.oneOf;
    expect(password.required).toEqual(['username', 'password']);
    expect(refresh.required).toEqual(['grant_type', 'refresh_token']);
    expect(refresh.properties.grant_type).toEqual({ type: 'string', enum: ['refresh_token'] });
    expect(Object.keys(document.components.schemas.Token.properties).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(Object.keys(document.paths)).not.toContain('/.well-known/openid-configuration');
    expect(Object.keys(document.paths)).not.toContain('/');
  });

  it('redirects / to /docs', async () => {
    const res = await t.http.get('/').expect(302);
    expect(res.headers.location).toBe('/docs');
  });
});
