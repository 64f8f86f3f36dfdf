import { HttpException } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

// Content-Encoding of form bodies, handled as Express's body-parser handles it, so that a form reads the
// same on Express and Fastify: gzip, deflate and br (and zstd where Node has it) are decoded; any other
// coding is a 415; a body that does not decode is a 400. The answers have body-parser's exact bodies (and
// Fastify's, for a body over its limit).

/** The request's content coding, lower-cased; `identity` when none is given. */
export function contentEncoding(headers: IncomingHttpHeaders): string {
  return (headers['content-encoding'] || 'identity').toLowerCase();
}

/** A stream that decodes `encoding`, or undefined when it is not supported. */
export function decoderFor(encoding: string): Transform | undefined {
  switch (encoding) {
    case 'gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'zstd': {
      const createZstdDecompress = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
      return typeof createZstdDecompress === 'function' ? createZstdDecompress() : undefined;
    }
    default:
      return undefined;
  }
}

/** 415, as body-parser answers a coding it does not know. */
export function unsupportedEncoding(encoding: string): HttpException {
  return new HttpException({ statusCode: 415, message: `unsupported content encoding "${encoding}"` }, 415);
}

/** 400, as body-parser answers a body that does not decode. */
export function undecodableBody(): HttpException {
  return new HttpException({ statusCode: 400, message: 'Bad Request' }, 400);
}

/** 413, as body-parser (Express) or Fastify answers a body over its limit. */
export function bodyTooLarge(platform: 'express' | 'fastify'): HttpException {
  const message = platform === 'express' ? 'request entity too large' : 'Request body is too large';
  return new HttpException({ statusCode: 413, message }, 413);
}
