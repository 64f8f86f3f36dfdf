import { Controller, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { enableMultipartForms, OAuth2PasswordForm, OAuth2PasswordRequestForm, SecuritySchemesModule } from 'nestjs-security-schemes';
import { PLATFORMS } from '../utils/platforms';

// A coded form body is capped on the wire as well as decoded. Empty deflate blocks (or brotli metadata
// blocks) decode to nothing: without a cap on the raw bytes, such a body was read (and inflated) for ever.

@Controller()
class TokenController {
  @Post('token')
  @HttpCode(200)
  login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm) {
    return { username: form.username };
  }
}

const MiB = 1024 * 1024;
const FORM_CAP = 100 * 1024;
const URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data; boundary=form-boundary';
const FORM = 'username=johndoe&password=secret';
const MULTIPART_FORM =
  '--form-boundary\r\nContent-Disposition: form-data; name="username"\r\n\r\njohndoe\r\n' +
  '--form-boundary\r\nContent-Disposition: form-data; name="password"\r\n\r\nsecret\r\n--form-boundary--\r\n';
// The same forms after a field of 2 MiB: too large once decoded, small once compressed.
const PADDING = 'a'.repeat(2 * MiB);
const LARGE_FORM = `padding=${PADDING}&${FORM}`;
const LARGE_MULTIPART_FORM = `--form-boundary\r\nContent-Disposition: form-data; name="padding"\r\n\r\n${PADDING}\r\n${MULTIPART_FORM}`;

/** How each coding starts, and a block it can repeat for ever that decodes to nothing. */
const EMPTY_BLOCKS: Record<string, { start: Buffer; block: Buffer }> = {
  // zlib header, then stored blocks of length 0 (what Z_SYNC_FLUSH writes when there is no input)
  deflate: { start: Buffer.from([0x78, 0x9c]), block: Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]) },
  gzip: { start: gzipSync('').subarray(0, 10), block: Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]) },
  // window size and an empty metadata block, then empty metadata blocks
  br: { start: Buffer.from([0x6b, 0x00]), block: Buffer.from([0x06]) },
};
const COMPRESS: Record<string, (body: string) => Buffer> = { deflate: deflateSync, gzip: gzipSync, br: brotliCompressSync };

interface Answer {
  status: number;
  body: unknown;
  connection: string | undefined;
  /** Bytes the server read on the request's connection, which it has closed by then. */
  serverRead: number;
}

describe.each(PLATFORMS)('a coded form body on %s', (platform) => {
  let app: INestApplication;
  let port: number;
  let lastSocket: Promise<Socket>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SecuritySchemesModule.forRoot({ schemes: [] })],
      controllers: [TokenController],
    }).compile();
    app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    enableMultipartForms(app);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** The server's side of the next connection. */
  const nextConnection = () => (lastSocket = once(app.getHttpServer(), 'connection').then(([socket]) => socket as Socket));

  /**
   * POSTs a chunked body (no Content-Length): `start`, then `block` repeated until `total` bytes are sent
   * or the answer arrives. Resolves with the answer and what the server read once it closed the connection.
   */
  function post(headers: Record<string, string>, start: Buffer, block: Buffer = Buffer.alloc(1), total = 0): Promise<Answer> {
    nextConnection();
    const chunk = Buffer.alloc(64 * 1024 - ((64 * 1024) % block.length), block);
    return new Promise((resolve, reject) => {
      let answered = false;
      // A connection of its own, kept alive unless the server closes it.
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/token',
        method: 'POST',
        headers: { Connection: 'keep-alive', ...headers },
        agent: false,
      });
      request.on('error', (error) => answered || reject(error)); // writing after the answer may fail: the server closed
      request.on('response', (response) => {
        answered = true;
        let text = '';
        response.setEncoding('utf8').on('data', (data: string) => (text += data));
        response.on('end', async () => {
          request.destroy();
          const socket = await lastSocket;
          if (!socket.destroyed) await once(socket, 'close');
          const { connection } = response.headers as IncomingHttpHeaders;
          resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : undefined, connection, serverRead: socket.bytesRead });
        });
      });
      let sent = start.length;
      request.write(start);
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        if (!answered) request.end();
      };
      pump();
    });
  }

  // The cap on the wire: the form's 100 KiB, except for url-encoded bodies on Fastify: Fastify's body limit (1 MiB by default).
  describe.each([
    ['url-encoded', URLENCODED, FORM, LARGE_FORM, platform === 'fastify' ? MiB : FORM_CAP],
    ['multipart', MULTIPART, MULTIPART_FORM, LARGE_MULTIPART_FORM, FORM_CAP],
  ])('%s', (_kind, contentType, form, largeForm, cap) => {
    it.each(Object.keys(EMPTY_BLOCKS))('of empty %s blocks is refused at the cap, as a body too large once decoded, and not read further', async (encoding) => {
      const headers = { 'Content-Type': contentType, 'Content-Encoding': encoding };
      const { start, block } = EMPTY_BLOCKS[encoding];
      const padded = await post(headers, start, block, 5 * MiB);
      const decodedTooLarge = await post(headers, COMPRESS[encoding](largeForm)); // what the decoded cap answers
      expect([padded.status, padded.body]).toEqual([decodedTooLarge.status, decodedTooLarge.body]);
      expect(padded.status).toBe(413);
      // The server read up to the cap and a little more in flight, then stopped and closed the connection.
      expect(padded.connection).toBe('close');
      expect(padded.serverRead).toBeGreaterThan(cap);
      expect(padded.serverRead).toBeLessThan(cap + 512 * 1024);
    });

    it('compressed as usual, is read', async () => {
      for (const encoding of Object.keys(COMPRESS)) {
        const answer = await post({ 'Content-Type': contentType, 'Content-Encoding': encoding }, COMPRESS[encoding](form));
        expect([answer.status, answer.body]).toEqual([200, { username: 'johndoe' }]);
      }
    });
  });
});
