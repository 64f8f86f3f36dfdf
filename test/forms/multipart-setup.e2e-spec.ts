import fastifyMultipart from '@fastify/multipart';
import { Controller, HttpCode, Post, UseInterceptors, type INestApplication } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { enableMultipartForms, OAuth2PasswordForm, OAuth2PasswordRequestForm } from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';

// How a multipart form reaches @OAuth2PasswordForm() with each platform's setup.

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) {
    return { type: form.constructor.name, ...form };
  }
}

const received = {
  type: 'OAuth2PasswordRequestForm',
  grantType: 'password',
  username: 'johndoe',
  password: 'secret',
  scopes: ['a', 'b'],
  clientId: null,
  clientSecret: null,
};
const badRequest = (...message: string[]) => ({ statusCode: 400, message, error: 'Bad Request' });

const sendForm = (testApp: TestApp) =>
  testApp.http
    .post('/token')
    .field('grant_type', 'password')
    .field('username', 'johndoe')
    .attach('attachment', Buffer.from('file content'), 'notes.txt')
    .field('password', 'secret')
    .field('scope', 'a\tb');
const sendMalformed = (testApp: TestApp) =>
  testApp.http
    .post('/token')
    .set('Content-Type', 'multipart/form-data; boundary=XYZ')
    .send('--XYZ\r\nContent-Disposition: form-data; name="username"\r\n\r\njohndoe');

const registerFastifyMultipart = (options: object) => (app: INestApplication) =>
  (app as NestFastifyApplication).register(fastifyMultipart as never, options as never) as unknown as Promise<void>;

describe.each(PLATFORMS)('multipart forms on %s without any setup', (platform) => {
  let testApp: TestApp;
  beforeAll(async () => (testApp = await createTestApp(platform, { controllers: [TokenController] })));
  afterAll(() => testApp.close());

  const expected: Record<Platform, [number, unknown]> = {
    express: [200, received],
    // Fastify refuses a content type it has no parser for, before any route runs.
    fastify: [415, { statusCode: 415, message: 'Unsupported Media Type' }],
  };

  it(platform === 'express' ? 'are read' : 'are refused by Fastify with 415', async () => {
    const response = await sendForm(testApp);
    expect([response.status, response.body]).toEqual(expected[platform]);
  });

  it('url-encoded forms are read', async () => {
    const response = await testApp.http
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', username: 'johndoe', password: 'secret', scope: 'a b' });
    expect([response.status, response.body]).toEqual([200, received]);
  });
});

describe.each([
  ['default options', {}, [400, { statusCode: 400, message: 'Malformed form body', error: 'Bad Request' }]],
  // With attachFieldsToBody, @fastify/multipart parses the body in a hook and its parse error becomes a 500.
  ['attachFieldsToBody: true', { attachFieldsToBody: true }, [500, { statusCode: 500, message: 'Internal server error' }]],
  ["attachFieldsToBody: 'keyValues'", { attachFieldsToBody: 'keyValues' }, [500, { statusCode: 500, message: 'Internal server error' }]],
])('multipart forms on fastify with @fastify/multipart, %s', (_name, options, malformedAnswer) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('fastify', { controllers: [TokenController] }, async (app) => {
      await registerFastifyMultipart(options)(app);
      enableMultipartForms(app); // does nothing: a multipart parser exists
    });
  });
  afterAll(() => testApp.close());

  it('are read, files ignored', async () => {
    const response = await sendForm(testApp);
    expect([response.status, response.body]).toEqual([200, received]);
  });

  it('report a repeated field, and a field sent only as a file as missing', async () => {
    const response = await testApp.http
      .post('/token')
      .field('username', 'a')
      .field('username', 'b')
      .attach('password', Buffer.from('secret'), 'password.txt');
    expect([response.status, response.body]).toEqual([
      400,
      badRequest('username must be a single value', 'password should not be empty'),
    ]);
  });

  it('a malformed body', async () => {
    const response = await sendMalformed(testApp);
    expect([response.status, response.body]).toEqual(malformedAnswer);
  });
});

describe('multipart forms on fastify with enableMultipartForms(app)', () => {
  let testApp: TestApp;
  beforeAll(async () => (testApp = await createTestApp('fastify', { controllers: [TokenController] }, enableMultipartForms)));
  afterAll(() => testApp.close());

  it('are read, files ignored', async () => {
    const response = await sendForm(testApp);
    expect([response.status, response.body]).toEqual([200, received]);
  });

  it('a malformed body is a 400', async () => {
    const response = await sendMalformed(testApp);
    expect([response.status, response.body]).toEqual([400, { statusCode: 400, message: 'Malformed form body', error: 'Bad Request' }]);
  });
});

describe('multipart forms on express after multer consumed the body', () => {
  @Controller()
  class UploadTokenController {
    @Post('token')
    @HttpCode(200)
    @UseInterceptors(AnyFilesInterceptor())
    login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) {
      return { type: form.constructor.name, ...form };
    }
  }

  let testApp: TestApp;
  beforeAll(async () => (testApp = await createTestApp('express', { controllers: [UploadTokenController] })));
  afterAll(() => testApp.close());

  it('are read from the fields multer parsed', async () => {
    const response = await sendForm(testApp);
    expect([response.status, response.body]).toEqual([200, received]);
  });
});
