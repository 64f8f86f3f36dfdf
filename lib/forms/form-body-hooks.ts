import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { abortedRequest, type RequestAbortedException } from './aborted-request.js';
import { contentEncoding, decoderFor, undecodableBody, unsupportedEncoding } from './content-encoding.js';
import { DECODED_BODY, FORM_HANDLERS, mediaType, URLENCODED } from './form-body.js';


interface FastifyLikeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  [DECODED_BODY]?: boolean;
}

type PreParsingHook = (
  request: FastifyLikeRequest,
  reply: unknown,
  payload: Readable,
  done: (error: Error | null, payload?: Readable) => void,
) => void;

type ExpressErrorMiddleware = (error: unknown, request: { method: string; originalUrl: string }, response: unknown, next: (error?: unknown) => void) => void;

/**
 * Makes request bodies behave the same on Express and Fastify, for `@OAuth2PasswordForm()` above all:
 * - Fastify parses a url-encoded body as sent, whatever its Content-Encoding (a `br` body of garbage
 *   logged in). A `preParsing` hook decodes it as Express's body-parser does (gzip, deflate, br), and
 *   answers 415 for other codings and 400 for a body that does not decode, with body-parser's bodies.
 * - A client that hangs up mid-body made Nest log `ERROR [ExceptionsHandler] request aborted` on both
 *   platforms. It is logged at debug level instead.
 * They are installed only in an application with an `@OAuth2PasswordForm()` route. Other requests are
 * untouched: the Fastify hook returns at once unless a body is url-encoded, and the Express middleware
 * only sees errors.
 */
@Injectable()
export class FormBodyHooks implements OnModuleInit {
  private readonly logger = new Logger('RequestBody');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter || !this.hasFormRoute()) return;
    const instance = adapter.getInstance();
    if (adapter.getType() === 'fastify') instance.addHook('preParsing', this.fastifyPreParsing());
    else if (adapter.getType() === 'express') instance.use(this.expressAbortedBody());
  }

  private hasFormRoute(): boolean {
    return this.discovery.getControllers().some(({ metatype }) => {
      const prototype = (metatype as { prototype?: Record<string, unknown> } | undefined)?.prototype;
      return prototype !== undefined && this.scanner.getAllMethodNames(prototype).some((name) => FORM_HANDLERS.has(prototype[name] as object));
    });
  }

  private aborted(method: string, url: string): RequestAbortedException {
    return abortedRequest(this.logger, method, url);
  }

  private fastifyPreParsing(): PreParsingHook {
    return (request, _reply, payload, done) => {
      const { headers } = request;
      const hasBody = headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
      if (!hasBody || mediaType(headers['content-type']) !== URLENCODED) {
        done(null, payload);
        return;
      }
      const encoding = contentEncoding(request.headers);
      let decoder: Transform | undefined;
      if (encoding !== 'identity') {
        decoder = decoderFor(encoding);
        if (decoder === undefined) {
          done(unsupportedEncoding(encoding));
          return;
        }
        request[DECODED_BODY] = true;
      }
      // Fastify reads this stream instead of the request; it checks Content-Length against receivedEncodedLength.
      const body = Object.assign(new PassThrough(), { receivedEncodedLength: 0 });
      const onAbort = () => {
        if (!body.destroyed) body.destroy(this.aborted(request.method, request.url));
      };
      payload.on('data', (chunk: Buffer) => (body.receivedEncodedLength += chunk.length));
      payload.on('error', onAbort);
      payload.on('close', () => {
        if (!payload.readableEnded) onAbort();
      });
      if (decoder) payload.pipe(decoder.on('error', () => body.destroy(undecodableBody()))).pipe(body);
      else payload.pipe(body);
      done(null, body);
    };
  }

  /** An error middleware placed after body-parser (registered before this hook runs) and before Nest's handler. */
  private expressAbortedBody(): ExpressErrorMiddleware {
    return (error, request, _response, next) => {
      if ((error as { type?: unknown } | null)?.type === 'request.aborted') next(this.aborted(request.method, request.originalUrl));
      else next(error);
    };
  }
}
