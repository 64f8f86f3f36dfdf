import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { abortedRequest, type RequestAbortedException } from './aborted-request.js';
import { bodyTooLarge, contentEncoding, decoderFor, undecodableBody, unsupportedEncoding } from './content-encoding.js';
import { DECODED_BODY, FORM_HANDLERS, FORM_LIMITS, mediaType, URLENCODED } from './form-body.js';


interface FastifyLikeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  routeOptions: { bodyLimit: number };
  [DECODED_BODY]?: boolean;
}

type PreParsingHook = (
  request: FastifyLikeRequest,
  reply: unknown,
  payload: Readable,
  done: (error: Error | null, payload?: Readable) => void,
) => void;

type ExpressErrorMiddleware = (error: unknown, request: { method: string; originalUrl: string }, response: unknown, next: (error?: unknown) => void) => void;

type ExpressMiddleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** An Express 5 application: its router's layers, body-parser's among them. */
interface ExpressLikeApp {
  router?: { stack?: { name: string; handle: ExpressMiddleware }[] };
  use(middleware: ExpressErrorMiddleware): void;
}

/**
 * Makes request bodies behave the same on Express and Fastify, for `@OAuth2PasswordForm()` above all:
 * - Fastify parses a url-encoded body as sent, whatever its Content-Encoding (a `br` body of garbage
 *   logged in). A `preParsing` hook decodes it as Express's body-parser does (gzip, deflate, br), and
 *   answers 415 for other codings and 400 for a body that does not decode, with body-parser's bodies.
 * - Both platforms cap a coded body's decoded bytes only, so a body of empty deflate blocks (which decode
 *   to nothing) would be read for ever. Its bytes on the wire are capped too (Fastify: the route's body
 *   limit; Express, whose body-parser limit cannot be read: the form's 100 KiB), with the platform's own
 *   413; the rest of the body is not read, and the connection is closed after the answer.
 * - A client that hangs up mid-body made Nest log `ERROR [ExceptionsHandler] request aborted` on both
 *   platforms. It is logged at debug level instead.
 * They are installed only in an application with an `@OAuth2PasswordForm()` route. Other requests are
 * untouched: the Fastify hook returns at once unless a body is url-encoded, the Express middleware only
 * sees errors, and the wrapper around body-parser's url-encoded parser hands it any body that is not
 * coded at once.
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
    else if (adapter.getType() === 'express') {
      this.capExpressUrlencodedParsers(instance);
      instance.use(this.expressAbortedBody());
    }
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
      const limit = request.routeOptions.bodyLimit;
      payload.on('data', (chunk: Buffer) => {
        body.receivedEncodedLength += chunk.length;
        // Fastify checks this count only when decoded bytes come out, and empty blocks give none.
        if (body.receivedEncodedLength > limit && !body.destroyed) {
          payload.unpipe(); // and pauses: the rest is not read
          decoder?.destroy();
          body.destroy(bodyTooLarge('fastify')); // Fastify answers it and closes the connection
        }
      });
      payload.on('error', onAbort);
      payload.on('close', () => {
        if (!payload.readableEnded) onAbort();
      });
      if (decoder) payload.pipe(decoder.on('error', () => body.destroy(undecodableBody()))).pipe(body);
      else payload.pipe(body);
      done(null, body);
    };
  }

  /**
   * body-parser counts a coded body's decoded bytes only. Its url-encoded parsers (registered before this
   * hook runs) are wrapped to count a coded body's bytes on the wire as well, up to the form's limit.
   */
  private capExpressUrlencodedParsers(app: ExpressLikeApp): void {
    for (const layer of app.router?.stack ?? []) {
      if (layer.name === 'urlencodedParser') layer.handle = capEncodedBytes(layer.handle);
    }
  }

  /** An error middleware placed after body-parser (registered before this hook runs) and before Nest's handler. */
  private expressAbortedBody(): ExpressErrorMiddleware {
    return (error, request, _response, next) => {
      if ((error as { type?: unknown } | null)?.type === 'request.aborted') next(this.aborted(request.method, request.originalUrl));
      else next(error);
    };
  }
}

/** `parse` (body-parser), with a coded body's bytes on the wire counted. Over the limit, the body is not read further. */
function capEncodedBytes(parse: ExpressMiddleware): ExpressMiddleware {
  return (request, response, next) => {
    if (contentEncoding(request.headers) === 'identity') {
      parse(request, response, next);
      return;
    }
    let received = 0;
    let refused = false;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= FORM_LIMITS.bodyBytes) return;
      refused = true;
      request.off('data', count).unpipe(); // body-parser's decoder gets no more, and the request pauses
      response.setHeader('Connection', 'close');
      next(bodyTooLarge('express')); // body-parser, left waiting, never calls back
    };
    parse(request, response, (error?: unknown) => {
      request.off('data', count);
      if (!refused) next(error);
    });
    // body-parser piped the body into its decoder (it flows from the next tick): count what it reads.
    if (request.readableFlowing) request.on('data', count);
  };
}
