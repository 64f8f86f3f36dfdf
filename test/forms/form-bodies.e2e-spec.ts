import { Controller, HttpCode, Post, type INestApplication, type LoggerService } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  enableMultipartForms,
  OAuth2PasswordForm,
  OAuth2PasswordRequestForm,
  SecuritySchemesModule,
} from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { PLATFORMS, type Platform } from '../utils/platforms';

// What reaches @OAuth2PasswordForm() besides a plain form: coded bodies, other media types, clients that
// hang up. Express and Fastify must give the same answers; Express's body-parser sets them.

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) {
    return { username: form.username };
  }

  @Post('token-urlencoded')
  @HttpCode(200)
  loginUrlencoded(@OAuth2PasswordForm({ multipart: false }) form: OAuth2PasswordRequestForm) {
    return { username: form.username };
  }
}

const URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data; boundary=form-boundary';
const FORM = 'username=johndoe&password=secret';
const MULTIPART_FORM =
  '--form-boundary\r\nContent-Disposition: form-data; name="username"\r\n\r\njohndoe\r\n' +
  '--form-boundary\r\nContent-Disposition: form-data; name="password"\r\n\r\nsecret\r\n--form-boundary--\r\n';

const LOGGED_IN = [200, { username: 'johndoe' }];
const UNDECODABLE = [400, { statusCode: 400, message: 'Bad Request' }];
const unsupportedEncoding = (encoding: string) => [415, { statusCode: 415, message: `unsupported content encoding "${encoding}"` }];
const unsupportedMediaType = (accepted: string) => [
  415,
  { statusCode: 415, message: `Content-Type must be ${accepted}`, error: 'Unsupported Media Type' },
];

/** Every log call, by level. */
class RecordingLogger implements LoggerService {
  readonly lines: [level: string, message: string][] = [];
  log() {}
  verbose() {}
  error(message: unknown) {
    this.lines.push(['error', String(message)]);
  }
  warn(message: unknown) {
    this.lines.push(['warn', String(message)]);
  }
  debug(message: unknown) {
    this.lines.push(['debug', String(message)]);
  }
}

async function startApp(platform: Platform, logger: LoggerService, withModule = true): Promise<{ app: INestApplication; port: number }> {
  const moduleRef = await Test.createTestingModule({
    imports: withModule ? [SecuritySchemesModule.forRoot({ schemes: [] })] : [],
    controllers: [TokenController],
  }).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger });
  enableMultipartForms(app);
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

/** A POST with exactly these headers and bytes (supertest would re-encode a Buffer body). */
function post(port: number, path: string, headers: OutgoingHttpHeaders, body: Buffer | string): Promise<[number, unknown]> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve([response.statusCode!, text ? JSON.parse(text) : undefined]));
      },
    );
    request.on('error', reject).end(body);
  });
}

/** Sends the headers and part of a body, then hangs up; waits until the server has had time to notice. */
function hangUpMidBody(port: number, contentType: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: 1000\r\n\r\nusername=jo`);
      setTimeout(() => {
        socket.destroy();
        setTimeout(resolve, 300);
      }, 100);
    });
  });
}

describe.each(PLATFORMS)('form bodies on %s', (platform) => {
  const logger = new RecordingLogger();
  let app: INestApplication;
  let port: number;
  beforeAll(async () => ({ app, port } = await startApp(platform, logger)));
  afterAll(() => app.close());

  describe.each([
    ['url-encoded', URLENCODED, FORM],
    ['multipart', MULTIPART, MULTIPART_FORM],
  ])('a %s body with a Content-Encoding', (_name, contentType, form) => {
    const send = (encoding: string, body: Buffer | string) =>
      post(port, '/token', { 'Content-Type': contentType, 'Content-Encoding': encoding }, body);

    it('is decoded (gzip, deflate, br), as body-parser does', async () => {
      expect(await send('gzip', gzipSync(form))).toEqual(LOGGED_IN);
      expect(await send('deflate', deflateSync(form))).toEqual(LOGGED_IN);
      expect(await send('br', brotliCompressSync(form))).toEqual(LOGGED_IN);
      expect(await send('GZIP', gzipSync(form))).toEqual(LOGGED_IN);
      expect(await send('identity', form)).toEqual(LOGGED_IN);
    });

    it('is a 400 when it does not decode, never read as plain text', async () => {
      expect(await send('br', form)).toEqual(UNDECODABLE);
      expect(await send('gzip', form)).toEqual(UNDECODABLE);
      expect(await send('gzip', gzipSync(form).subarray(0, 20))).toEqual(UNDECODABLE);
    });

    it('is a 415 for a coding body-parser does not know', async () => {
      expect(await send('x-unknown', form)).toEqual(unsupportedEncoding('x-unknown'));
      expect(await send('compress', form)).toEqual(unsupportedEncoding('compress'));
      expect(await send('gzip, br', form)).toEqual(unsupportedEncoding('gzip, br'));
    });
  });

  describe('a body of another media type', () => {
    const accepted = `${URLENCODED} or multipart/form-data`;

    it('is a 415 naming the accepted types, even with both fields in it', async () => {
      const json = JSON.stringify({ username: 'johndoe', password: 'secret' });
      expect(await post(port, '/token', { 'Content-Type': 'application/json' }, json)).toEqual(unsupportedMediaType(accepted));
      expect(await post(port, '/token', { 'Content-Type': 'text/plain' }, FORM)).toEqual(unsupportedMediaType(accepted));
      // Fastify refuses a body it has no parser for (no Content-Type, application/xml) itself, with its own 415.
      const [status, body] = await post(port, '/token', {}, FORM);
      expect([status, platform === 'express' ? body : undefined]).toEqual([415, platform === 'express' ? unsupportedMediaType(accepted)[1] : undefined]);
    });

    it('without a body is an empty form: 400 naming the fields', async () => {
      expect(await post(port, '/token', {}, '')).toEqual([
        400,
        { statusCode: 400, message: ['username should not be empty', 'password should not be empty'], error: 'Bad Request' },
      ]);
    });

    it('multipart is a 415 on a form with multipart: false', async () => {
      expect(await post(port, '/token-urlencoded', { 'Content-Type': MULTIPART }, MULTIPART_FORM)).toEqual(
        unsupportedMediaType(URLENCODED),
      );
      expect(await post(port, '/token-urlencoded', { 'Content-Type': URLENCODED }, FORM)).toEqual(LOGGED_IN);
    });
  });

  it('documents the media types each form reads', () => {
    const paths = buildDocument(app).paths;
    expect(Object.keys(paths['/token'].post?.requestBody as object)).toContain('content');
    const content = (path: string) => Object.keys((paths[path].post?.requestBody as { content: object }).content);
    expect(content('/token')).toEqual([URLENCODED, 'multipart/form-data']);
    expect(content('/token-urlencoded')).toEqual([URLENCODED]);
  });

  describe('a client that hangs up mid-body', () => {
    it.each([
      ['url-encoded', URLENCODED],
      ['multipart', MULTIPART],
    ])('is logged at debug level, never as an error (%s)', async (_name, contentType) => {
      logger.lines.length = 0;
      for (let i = 0; i < 3; i++) await hangUpMidBody(port, contentType);
      expect(logger.lines.filter(([level]) => level !== 'debug')).toEqual([]);
      expect(logger.lines).toEqual(
        Array(3).fill(['debug', 'POST /token: the client closed the connection before its body was complete']),
      );
      expect(await post(port, '/token', { 'Content-Type': URLENCODED }, FORM)).toEqual(LOGGED_IN); // still serving
    });
  });
});

describe('a coded url-encoded body on fastify without SecuritySchemesModule', () => {
  let app: INestApplication;
  let port: number;
  beforeAll(async () => ({ app, port } = await startApp('fastify', new RecordingLogger(), false)));
  afterAll(() => app.close());

  it('is refused with 415: Fastify parsed it as sent, and nothing decoded it', async () => {
    const headers = { 'Content-Type': URLENCODED, 'Content-Encoding': 'gzip' };
    expect(await post(port, '/token', headers, gzipSync(FORM))).toEqual(unsupportedEncoding('gzip'));
    expect(await post(port, '/token', { ...headers, 'Content-Encoding': 'br' }, FORM)).toEqual(unsupportedEncoding('br'));
    expect(await post(port, '/token', { 'Content-Type': URLENCODED }, FORM)).toEqual(LOGGED_IN);
  });
});
