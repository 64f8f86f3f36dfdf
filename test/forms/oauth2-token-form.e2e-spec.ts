import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  applySecurityToDocument,
  enableMultipartForms,
  OAuth2PasswordBearer,
  OAuth2RefreshTokenRequestForm,
  OAuth2TokenForm,
  Security,
  SecuritySchemesModule,
  type OAuth2TokenRequestForm,
} from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const oauth2 = new OAuth2PasswordBearer({ tokenUrl: 'token' });

/** What the handler received, class included, and which grant `instanceof` saw. */
const describeForm = (form: OAuth2TokenRequestForm) => ({
  type: form.constructor.name,
  refresh: form instanceof OAuth2RefreshTokenRequestForm,
  ...form,
});

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  token(@OAuth2TokenForm() form: OAuth2TokenRequestForm) {
    return describeForm(form);
  }

  @Post('token-strict')
  @HttpCode(200)
  tokenStrict(@OAuth2TokenForm({ strict: true }) form: OAuth2TokenRequestForm) {
    return describeForm(form);
  }

  @Post('token-urlencoded')
  @HttpCode(200)
  tokenUrlencoded(@OAuth2TokenForm({ multipart: false }) form: OAuth2TokenRequestForm) {
    return describeForm(form);
  }

  @Get('me')
  @Security(oauth2)
  me() {
    return {};
  }
}

const URLENCODED = 'application/x-www-form-urlencoded';
const REFRESH_TOKEN = 'refresh-T0KEN-never-echoed';
const badRequest = (...message: string[]) => ({ statusCode: 400, message, error: 'Bad Request' });

describe.each(PLATFORMS)('@OAuth2TokenForm() on %s', (platform) => {
  let testApp: TestApp;
  const postUrlencoded = (path: string, body: string) => testApp.http.post(path).set('Content-Type', URLENCODED).send(body);

  beforeAll(async () => {
    testApp = await createTestApp(
      platform,
      {
        // GET /me is here for the document only: no token is ever accepted on it.
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: oauth2, validator: { validate: () => null } }] })],
        controllers: [TokenController],
      },
      enableMultipartForms,
    );
  });
  afterAll(() => testApp.close());

  describe('the refresh-token grant', () => {
    it('yields an OAuth2RefreshTokenRequestForm (url-encoded)', async () => {
      const response = await postUrlencoded('/token', `grant_type=refresh_token&refresh_token=${REFRESH_TOKEN}&scope=me%20%20items`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2RefreshTokenRequestForm',
        refresh: true,
        grantType: 'refresh_token',
        refreshToken: REFRESH_TOKEN,
        scopes: ['me', 'items'],
        clientId: null,
        clientSecret: null,
      });
    });

    it('yields it from multipart too, with client credentials; username and password are not read', async () => {
      const response = await testApp.http
        .post('/token')
        .field('grant_type', 'refresh_token')
        .field('refresh_token', REFRESH_TOKEN)
        .field('client_id', 'app')
        .field('client_secret', 's')
        .field('username', 'ignored')
        .field('password', 'ignored');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2RefreshTokenRequestForm',
        refresh: true,
        grantType: 'refresh_token',
        refreshToken: REFRESH_TOKEN,
        scopes: [],
        clientId: 'app',
        clientSecret: 's',
      });
    });

    it('a missing or empty refresh_token is a 400 naming it', async () => {
      for (const body of ['grant_type=refresh_token', 'grant_type=refresh_token&refresh_token=', 'grant_type=refresh_token&username=u&password=p']) {
        const response = await postUrlencoded('/token', body);
        expect([body, response.status, response.body]).toEqual([body, 400, badRequest('refresh_token should not be empty')]);
      }
    });

    it('a refresh_token or scope sent twice is a 400, without echoing the token', async () => {
      const response = await postUrlencoded('/token', `grant_type=refresh_token&refresh_token=${REFRESH_TOKEN}&refresh_token=b&scope=a&scope=b`);
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('refresh_token must be a single value', 'scope must be a single value'));
      expect(response.text).not.toContain(REFRESH_TOKEN);
    });

    it('the strict form takes it too', async () => {
      const response = await postUrlencoded('/token-strict', `grant_type=refresh_token&refresh_token=${REFRESH_TOKEN}`);
      expect(response.status).toBe(200);
      expect(response.body.type).toBe('OAuth2RefreshTokenRequestForm');
    });
  });

  describe('the password grant, as @OAuth2PasswordForm() reads it', () => {
    it('with grant_type=password', async () => {
      const response = await postUrlencoded('/token', 'grant_type=password&username=johndoe&password=secret&scope=me');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2PasswordRequestForm',
        refresh: false,
        grantType: 'password',
        username: 'johndoe',
        password: 'secret',
        scopes: ['me'],
        clientId: null,
        clientSecret: null,
      });
    });

    it('without grant_type (as FastAPI allows), but not in the strict form', async () => {
      expect((await postUrlencoded('/token', 'username=u&password=p')).body.type).toBe('OAuth2PasswordRequestForm');
      const strict = await postUrlencoded('/token-strict', 'username=u&password=p');
      expect([strict.status, strict.body]).toEqual([400, badRequest('grant_type should not be empty')]);
      const strictPassword = await postUrlencoded('/token-strict', 'grant_type=password&username=u&password=p');
      expect(strictPassword.body.type).toBe('OAuth2PasswordRequestFormStrict');
    });

    it('a missing password is still a 400 naming it', async () => {
      const response = await postUrlencoded('/token', 'grant_type=password&username=u');
      expect([response.status, response.body]).toEqual([400, badRequest('password should not be empty')]);
    });
  });

  it('any other grant_type is a 400 that names both grants', async () => {
    for (const grantType of ['client_credentials', 'Refresh_token', 'refresh_token ', 'authorization_code']) {
      const response = await postUrlencoded('/token', `grant_type=${encodeURIComponent(grantType)}&username=u&password=p`);
      expect([grantType, response.status, response.body]).toEqual([grantType, 400, badRequest('grant_type must be "password" or "refresh_token"')]);
    }
  });

  it('multipart: false answers multipart with 415', async () => {
    const response = await testApp.http.post('/token-urlencoded').field('grant_type', 'refresh_token').field('refresh_token', 'x');
    expect(response.status).toBe(415);
  });

  describe('documents both grants in the request body', () => {
    const passwordSchema = (required: string[]) => ({
      title: 'Password grant (RFC 6749 section 4.3.2)',
      type: 'object',
      properties: {
        grant_type: { type: 'string', pattern: '^password$' },
        username: { type: 'string' },
        password: { type: 'string', format: 'password' },
        scope: { type: 'string', default: '' },
        client_id: { type: 'string' },
        client_secret: { type: 'string', format: 'password' },
      },
      required,
    });
    const refreshSchema = {
      title: 'Refresh token grant (RFC 6749 section 6)',
      type: 'object',
      properties: {
        grant_type: { type: 'string', enum: ['refresh_token'] },
        refresh_token: { type: 'string', format: 'password' },
        scope: { type: 'string', default: '', description: 'At most the scopes granted before; empty for all of them.' },
        client_id: { type: 'string' },
        client_secret: { type: 'string', format: 'password' },
      },
      required: ['grant_type', 'refresh_token'],
    };
    const schema = (required: string[]) => ({ oneOf: [passwordSchema(required), refreshSchema] });

    let paths: Record<string, Record<string, Record<string, unknown>>>;
    beforeAll(() => {
      const document = SwaggerModule.createDocument(testApp.app, new DocumentBuilder().build());
      paths = applySecurityToDocument(testApp.app, document).paths as typeof paths;
    });

    it('oneOf the password grant and the refresh-token grant, url-encoded then multipart', () => {
      expect(paths['/token'].post.requestBody).toEqual({
        required: true,
        content: { [URLENCODED]: { schema: schema(['username', 'password']) }, 'multipart/form-data': { schema: schema(['username', 'password']) } },
      });
      expect(Object.keys((paths['/token'].post.requestBody as { content: object }).content)).toEqual([URLENCODED, 'multipart/form-data']);
    });

    it('grant_type required for the password grant in the strict form; url-encoded only with multipart: false', () => {
      expect(paths['/token-strict'].post.requestBody).toEqual({
        required: true,
        content: {
          [URLENCODED]: { schema: schema(['grant_type', 'username', 'password']) },
          'multipart/form-data': { schema: schema(['grant_type', 'username', 'password']) },
        },
      });
      expect(paths['/token-urlencoded'].post.requestBody).toEqual({ required: true, content: { [URLENCODED]: { schema: schema(['username', 'password']) } } });
    });

    it('without security or parameters of its own', () => {
      expect(paths['/token'].post).not.toHaveProperty('security');
      expect(paths['/token'].post.parameters).toEqual([]);
    });
  });
});
