import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  applySecurityToDocument,
  enableMultipartForms,
  OAuth2PasswordBearer,
  OAuth2PasswordForm,
  OAuth2PasswordRequestForm,
  OAuth2PasswordRequestFormStrict,
  Security,
  SecuritySchemesModule,
} from 'nestjs-security-schemes';
import type { Test as Request } from 'supertest';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const oauth2 = new OAuth2PasswordBearer({ tokenUrl: 'token' });

/** What the handler received, class included. */
const describeForm = (form: OAuth2PasswordRequestForm) => ({ type: form.constructor.name, ...form });

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) {
    return describeForm(form);
  }

  @Post('token-strict')
  @HttpCode(200)
  loginStrict(@OAuth2PasswordForm({ strict: true }) form: OAuth2PasswordRequestFormStrict) {
    return describeForm(form);
  }

  @Get('me')
  @Security(oauth2)
  me() {
    return {};
  }
}

const URLENCODED = 'application/x-www-form-urlencoded';
const PASSWORD = 'pa55-W0RD-never-echoed';
const CLIENT_SECRET = 'client-S3CRET-never-echoed';

const fullForm = {
  type: 'OAuth2PasswordRequestForm',
  grantType: 'password',
  username: 'johndoe',
  password: PASSWORD,
  scopes: ['items:read', 'users:read'],
  clientId: 'my-client',
  clientSecret: CLIENT_SECRET,
};

const badRequest = (...message: string[]) => ({ statusCode: 400, message, error: 'Bad Request' });

/** Sends `fields` as multipart/form-data (repeated names for arrays), plus an ignored file. */
function multipart(request: Request, fields: Record<string, string | string[]>): Request {
  for (const [name, value] of Object.entries(fields)) {
    for (const item of ([] as string[]).concat(value)) request.field(name, item);
  }
  return request.attach('attachment', Buffer.from('file content'), 'notes.txt');
}

/** A hand-written multipart body (CRLF line ends) with the given boundary; `[name, value, filename]` is a file. */
function rawMultipart(boundary: string, parts: [string, string, string?][], closed = true): string {
  const body = parts
    .map(
      ([name, value, filename]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"` +
        `${filename ? `; filename="${filename}"\r\nContent-Type: text/plain` : ''}\r\n\r\n${value}\r\n`,
    )
    .join('');
  return closed ? `${body}--${boundary}--\r\n` : body;
}

describe.each(PLATFORMS)('@OAuth2PasswordForm() on %s', (platform) => {
  let testApp: TestApp;
  const post = (path: string) => testApp.http.post(path);
  const postUrlencoded = (path: string, body: string) => post(path).set('Content-Type', URLENCODED).send(body);

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

  describe('reads the form', () => {
    it('from an application/x-www-form-urlencoded body', async () => {
      const response = await postUrlencoded(
        '/token',
        `grant_type=password&username=johndoe&password=${PASSWORD}&scope=items%3Aread+users%3Aread` +
          `&client_id=my-client&client_secret=${CLIENT_SECRET}`,
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual(fullForm);
    });

    it('from a multipart/form-data body, ignoring files', async () => {
      const response = await multipart(post('/token'), {
        grant_type: 'password',
        username: 'johndoe',
        password: PASSWORD,
        scope: 'items:read users:read',
        client_id: 'my-client',
        client_secret: CLIENT_SECRET,
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(fullForm);
    });

    it('with only username and password: the optional fields are null, scopes empty', async () => {
      const response = await postUrlencoded('/token', 'username=johndoe&password=secret');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2PasswordRequestForm',
        grantType: null,
        username: 'johndoe',
        password: 'secret',
        scopes: [],
        clientId: null,
        clientSecret: null,
      });
    });

    it('keeps values as sent (spaces, unicode, a username that is only spaces)', async () => {
      const response = await postUrlencoded('/token', `username=${encodeURIComponent('  ')}&password=${encodeURIComponent(' pässwörd ')}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ username: '  ', password: ' pässwörd ' });
    });
  });

  describe('splits scope on any whitespace', () => {
    const scope = ' items:read\tusers:read\n\nprofile   openid\r\nemail ';
    const scopes = ['items:read', 'users:read', 'profile', 'openid', 'email'];

    it('url-encoded', async () => {
      const response = await postUrlencoded('/token', `username=u&password=p&scope=${encodeURIComponent(scope)}`);
      expect(response.status).toBe(200);
      expect(response.body.scopes).toEqual(scopes);
    });

    it('multipart', async () => {
      const response = await multipart(post('/token'), { username: 'u', password: 'p', scope });
      expect(response.status).toBe(200);
      expect(response.body.scopes).toEqual(scopes);
    });

    it('a scope of only whitespace is no scope', async () => {
      const response = await postUrlencoded('/token', `username=u&password=p&scope=${encodeURIComponent(' \t\n ')}`);
      expect(response.body.scopes).toEqual([]);
    });
  });

  describe('counts an empty value as absent', () => {
    it('empty username and password are missing', async () => {
      const response = await postUrlencoded('/token', 'grant_type=&username=&password=&scope=&client_id=&client_secret=');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty', 'password should not be empty'));
    });

    it('empty optional fields are null, and an empty grant_type is not checked', async () => {
      const response = await postUrlencoded('/token', 'grant_type=&username=u&password=p&scope=&client_id=&client_secret=');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2PasswordRequestForm',
        grantType: null,
        username: 'u',
        password: 'p',
        scopes: [],
        clientId: null,
        clientSecret: null,
      });
    });

    it('empty multipart fields are missing too', async () => {
      const response = await multipart(post('/token'), { username: '', password: '' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty', 'password should not be empty'));
    });

    it('a field sent as a file is ignored, hence missing', async () => {
      const response = await post('/token').field('password', 'p').attach('username', Buffer.from('johndoe'), 'username.txt');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty'));
    });
  });

  describe('answers 400 naming every failing field in declaration order', () => {
    it('missing username and password', async () => {
      const response = await postUrlencoded('/token', 'scope=items%3Aread');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty', 'password should not be empty'));
    });

    it('an empty body', async () => {
      const response = await postUrlencoded('/token', '');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty', 'password should not be empty'));
    });

    it('a request without a body or a content type: an empty form', async () => {
      const response = await post('/token');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username should not be empty', 'password should not be empty'));
    });

    it('a grant_type other than "password", before the missing username', async () => {
      const response = await postUrlencoded('/token', 'grant_type=client_credentials&password=p');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('grant_type must be "password"', 'username should not be empty'));
    });

    it('grant_type must be exactly "password"', async () => {
      for (const grantType of ['Password', 'password ', 'password\n', 'passwordx']) {
        const response = await postUrlencoded('/token', `grant_type=${encodeURIComponent(grantType)}&username=u&password=p`);
        expect([grantType, response.status, response.body]).toEqual([grantType, 400, badRequest('grant_type must be "password"')]);
      }
    });

    it('every field sent twice', async () => {
      const fields = ['grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret'];
      const body = fields.map((name) => `${name}=a&${name}=b`).join('&');
      const response = await postUrlencoded('/token', body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest(...fields.map((name) => `${name} must be a single value`)));
    });

    it('a field sent twice in a multipart body', async () => {
      const response = await multipart(post('/token'), { username: ['a', 'b'], password: 'p' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('username must be a single value'));
    });
  });

  describe('the strict form', () => {
    it('requires grant_type', async () => {
      const response = await postUrlencoded('/token-strict', 'username=johndoe&password=secret');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('grant_type should not be empty'));
    });

    it('counts an empty grant_type as missing, and lists the other missing fields after it', async () => {
      const response = await postUrlencoded('/token-strict', 'grant_type=&password=secret');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('grant_type should not be empty', 'username should not be empty'));
    });

    it('refuses another grant_type', async () => {
      const response = await postUrlencoded('/token-strict', 'grant_type=refresh_token&username=u&password=p');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(badRequest('grant_type must be "password"'));
    });

    it('yields an OAuth2PasswordRequestFormStrict', async () => {
      const response = await multipart(post('/token-strict'), { grant_type: 'password', username: 'u', password: 'p', scope: 'a b' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        type: 'OAuth2PasswordRequestFormStrict',
        grantType: 'password',
        username: 'u',
        password: 'p',
        scopes: ['a', 'b'],
        clientId: null,
        clientSecret: null,
      });
    });
  });

  describe('never echoes password or client_secret', () => {
    it('in a url-encoded error answer', async () => {
      const response = await postUrlencoded(
        '/token',
        `grant_type=${PASSWORD}&password=${PASSWORD}&password=${PASSWORD}x&client_secret=${CLIENT_SECRET}&client_secret=${CLIENT_SECRET}`,
      );
      expect(response.status).toBe(400);
      expect(response.body).toEqual(
        badRequest(
          'grant_type must be "password"',
          'username should not be empty',
          'password must be a single value',
          'client_secret must be a single value',
        ),
      );
      expect(response.text).not.toContain(PASSWORD);
      expect(response.text).not.toContain(CLIENT_SECRET);
    });

    it('in a multipart error answer', async () => {
      const response = await multipart(post('/token-strict'), {
        password: [PASSWORD, PASSWORD],
        client_secret: [CLIENT_SECRET, CLIENT_SECRET],
      });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(
        badRequest(
          'grant_type should not be empty',
          'username should not be empty',
          'password must be a single value',
          'client_secret must be a single value',
        ),
      );
      expect(response.text).not.toContain(PASSWORD);
      expect(response.text).not.toContain(CLIENT_SECRET);
    });
  });

  describe('refuses a malformed or oversized multipart body', () => {
    const malformed = { statusCode: 400, message: 'Malformed form body', error: 'Bad Request' };
    const tooLarge = { statusCode: 413, message: 'Form body too large', error: 'Payload Too Large' };

    it('no boundary', async () => {
      const response = await post('/token').set('Content-Type', 'multipart/form-data').send('username=u&password=p');
      expect([response.status, response.body]).toEqual([400, malformed]);
    });

    it('a body that does not use the boundary', async () => {
      const response = await post('/token').set('Content-Type', 'multipart/form-data; boundary=XYZ').send('username=u&password=p');
      expect([response.status, response.body]).toEqual([400, malformed]);
    });

    it('a body cut before its closing boundary', async () => {
      const body = rawMultipart('XYZ', [['username', 'u'], ['password', PASSWORD]], false);
      const response = await post('/token').set('Content-Type', 'multipart/form-data; boundary=XYZ').send(body);
      expect([response.status, response.body]).toEqual([400, malformed]);
      expect(response.text).not.toContain(PASSWORD);
    });

    it('a body cut inside a file', async () => {
      const body = rawMultipart('XYZ', [['username', 'u'], ['password', 'p'], ['attachment', 'file content', 'notes.txt']], false);
      const response = await post('/token').set('Content-Type', 'multipart/form-data; boundary=XYZ').send(body);
      expect([response.status, response.body]).toEqual([400, malformed]);
    });

    it('a well-formed hand-written body is read', async () => {
      const body = rawMultipart('XYZ', [['username', 'u'], ['attachment', 'hello', 'hello.txt'], ['password', 'p']]);
      const response = await post('/token').set('Content-Type', 'multipart/form-data; boundary=XYZ').send(body);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ username: 'u', password: 'p' });
    });

    it('more than 100 KiB (a large file included)', async () => {
      const response = await post('/token')
        .field('username', 'u')
        .field('password', 'p')
        .attach('attachment', Buffer.alloc(101 * 1024, 'a'), 'big.txt');
      expect([response.status, response.body]).toEqual([413, tooLarge]);
    });

    it('more than 100 KiB sent without a Content-Length', async () => {
      const body = rawMultipart('XYZ', [['username', 'u'], ['password', 'p'], ['attachment', 'a'.repeat(101 * 1024), 'big.txt']]);
      const request = post('/token').set('Content-Type', 'multipart/form-data; boundary=XYZ');
      for (let i = 0; i < body.length; i += 16 * 1024) request.write(body.slice(i, i + 16 * 1024)); // chunked
      const response = await request;
      const sent = (request as unknown as { req: import('node:http').ClientRequest }).req;
      expect([sent.getHeader('content-length'), sent.chunkedEncoding]).toEqual([undefined, true]);
      expect([response.status, response.body]).toEqual([413, tooLarge]);
    });

    it('more than 32 fields', async () => {
      const parts = Array.from({ length: 33 }, (_, i): [string, string] => [`field${i}`, 'x']);
      const response = await post('/token')
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send(rawMultipart('XYZ', [['username', 'u'], ['password', 'p'], ...parts]));
      expect([response.status, response.body]).toEqual([413, tooLarge]);
    });

    it('after which the server still answers', async () => {
      const response = await postUrlencoded('/token', 'username=u&password=p');
      expect(response.status).toBe(200);
    });
  });

  describe('documents the route', () => {
    const schema = (required: string[]) => ({
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
    const requestBody = (required: string[]) => ({
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: schema(required) },
        'multipart/form-data': { schema: schema(required) },
      },
    });

    let paths: Record<string, Record<string, Record<string, unknown>>>;
    beforeAll(() => {
      const document = SwaggerModule.createDocument(testApp.app, new DocumentBuilder().build());
      paths = applySecurityToDocument(testApp.app, document).paths as typeof paths;
    });

    it('with a required url-encoded (then multipart) request body', () => {
      expect(Object.keys(paths['/token'].post.requestBody as object)).toEqual(['required', 'content']);
      expect(paths['/token'].post.requestBody).toEqual(requestBody(['username', 'password']));
      expect(Object.keys((paths['/token'].post.requestBody as { content: object }).content)).toEqual([
        'application/x-www-form-urlencoded',
        'multipart/form-data',
      ]);
    });

    it('with grant_type required in the strict form', () => {
      expect(paths['/token-strict'].post.requestBody).toEqual(requestBody(['grant_type', 'username', 'password']));
    });

    it('without security of its own, while a guarded route has it', () => {
      expect(paths['/token'].post).not.toHaveProperty('security');
      expect(paths['/token-strict'].post).not.toHaveProperty('security');
      expect(paths['/me'].get.security).toEqual([{ OAuth2PasswordBearer: [] }]);
    });

    it('and no parameters from the form', () => {
      expect(paths['/token'].post.parameters).toEqual([]);
    });
  });
});
