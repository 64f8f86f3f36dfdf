import {
  BadRequestException,
  Logger,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
  type INestApplication,
} from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { abortedRequest } from './aborted-request.js';
import { contentEncoding, decoderFor, undecodableBody, unsupportedEncoding } from './content-encoding.js';

export const URLENCODED = 'application/x-www-form-urlencoded';
export const MULTIPART = 'multipart/form-data';

const logger = new Logger('RequestBody');

/**
 * A token request is tiny: these caps only stop abuse. Files in the form count towards the body size. A coded
 * body is capped twice at `bodyBytes`: as sent (which stops padding, such as empty deflate blocks that decode
 * to nothing) and decoded (which stops a small body that decodes to a large one).
 */
export const FORM_LIMITS = { bodyBytes: 100 * 1024, fields: 32 } as const;

/** An Express request, or a Fastify request (whose Node request is `raw`). */
interface FormRequest {
  headers: IncomingHttpHeaders;
  body?: unknown;
  raw?: Readable;
  [DECODED_BODY]?: boolean;
}

/** An Express response, or a Fastify reply: both have `header(name, value)`. */
export interface FormResponse {
  header(name: string, value: string): unknown;
}

/** Route handlers with an `@OAuth2PasswordForm()` parameter: the module installs its body hooks only for apps that have one. */
export const FORM_HANDLERS = new WeakSet<object>();

/** Set on a Fastify request whose url-encoded body the module's hook decoded (see form-body-hooks.ts). */
export const DECODED_BODY = Symbol('security-schemes:decoded-body');

/** Form fields by name. A value may be a string, a list (repeated field) or whatever a body parser made. */
export type FormFields = Record<string, unknown>;

/**
 * The fields of a body of one of the `accepted` media types (url-encoded, and multipart unless the form
 * turned it off). A body the platform (or `@fastify/multipart` with `attachFieldsToBody`) already parsed
 * is used as is; otherwise the request stream is read here. A request without a body is an empty form;
 * a body of any other type (JSON included) is a 415 that names the accepted types.
 */
export async function readFormFields(request: FormRequest, response: FormResponse, accepted: readonly string[]): Promise<FormFields> {
  const { headers } = request;
  const type = mediaType(headers['content-type']);
  if (!accepted.includes(type)) {
    if (type === '' && !hasBody(headers)) return {};
    throw new UnsupportedMediaTypeException(`Content-Type must be ${accepted.join(' or ')}`);
  }
  const encoding = contentEncoding(headers);
  const { body } = request;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
    // Express's body-parser decoded the body (or refused it). Fastify parses it as sent, unless the
    // module's hook decoded it first: a coded body parsed as sent is no form at all.
    if (encoding !== 'identity' && request.raw !== undefined && request[DECODED_BODY] !== true) {
      throw unsupportedEncoding(encoding);
    }
    return body as FormFields;
  }
  const stream = request.raw ?? (request as unknown as Readable);
  if (stream.readableEnded) return {};
  return parseStream(stream, response, headers, encoding);
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/**
 * Reads a form with busboy: text fields only (files are skipped), within `FORM_LIMITS`. A coded body's size
 * is counted as sent and decoded, so that neither padding nor a small body that expands gets past the cap.
 */
function parseStream(stream: Readable, response: FormResponse, headers: IncomingHttpHeaders, encoding: string): Promise<FormFields> {
  const declaredLength = Number(headers['content-length']);
  if (declaredLength > FORM_LIMITS.bodyBytes) return Promise.reject(tooLarge());
  let decoder: Transform | undefined;
  if (encoding !== 'identity') {
    decoder = decoderFor(encoding);
    if (decoder === undefined) {
      stream.resume(); // discard the body, so that the answer reaches the client
      return Promise.reject(unsupportedEncoding(encoding));
    }
  }
  const decoded: Readable = decoder ?? stream;

  return new Promise((resolve, reject) => {
    const fields: Record<string, string[]> = Object.create(null);
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        limits: { fields: FORM_LIMITS.fields }, // no value can reach busboy's 1 MiB field cap: bodyBytes comes first
      });
    } catch {
      reject(malformed()); // e.g. multipart without a boundary
      return;
    }

    let received = 0;
    let receivedEncoded = 0;
    let settled = false;
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > FORM_LIMITS.bodyBytes) fail(tooLarge());
    };
    // A coded body over the cap as sent is padding (empty deflate blocks decode to nothing): it is not read
    // further, and the answer closes the connection.
    const countEncodedBytes = (chunk: Buffer) => {
      receivedEncoded += chunk.length;
      if (receivedEncoded > FORM_LIMITS.bodyBytes) fail(tooLarge(), false);
    };
    // The client went away mid-body (Node reports it as an error, then a close).
    const onAbort = () => {
      if (settled) return;
      const { method, url } = stream as IncomingMessage;
      fail(abortedRequest(logger, method, url));
    };
    const onStreamClose = () => {
      if (!stream.readableEnded) onAbort();
    };
    const onDecoderError = () => fail(undecodableBody());
    const finish = () => {
      settled = true;
      decoded.off('data', countBytes);
      stream.off('data', countEncodedBytes).off('error', onAbort).off('close', onStreamClose);
    };
    const fail = (error: Error, readRest = true) => {
      if (settled) return;
      finish();
      decoded.unpipe(parser);
      if (decoder) {
        stream.unpipe(decoder); // pauses the stream
        decoder.destroy();
      }
      if (readRest) stream.resume(); // discard the rest, so that the answer reaches the client
      else response.header('Connection', 'close');
      reject(error);
    };

    parser.on('field', (name, value, info) => {
      if (!info.nameTruncated) (fields[name] ??= []).push(value); // a name over 100 bytes is none of ours
    });
    // Files are skipped. A cut body also fails the file's stream: without a listener that error would crash the process.
    parser.on('file', (_name, file) => file.on('error', () => fail(malformed())).resume());
    parser.on('fieldsLimit', () => fail(tooLarge()));
    parser.on('error', () => fail(malformed()));
    parser.on('close', () => {
      if (settled) return;
      finish();
      resolve(fields);
    });
    stream.on('error', onAbort).on('close', onStreamClose);
    decoded.on('data', countBytes);
    if (decoder) stream.on('data', countEncodedBytes).pipe(decoder.on('error', onDecoderError));
    decoded.pipe(parser);
  });
}

function malformed(): BadRequestException {
  return new BadRequestException('Malformed form body');
}

function tooLarge(): PayloadTooLargeException {
  return new PayloadTooLargeException('Form body too large');
}

/**
 * Fastify refuses `multipart/form-data` with 415 unless a content-type parser exists for it. This
 * adds one that leaves the body unread, so that `@OAuth2PasswordForm()` can read it. It does nothing
 * on Express, or when a parser is already registered (e.g. by `@fastify/multipart`, which the form
 * also reads). Call it before `app.init()`/`app.listen()`.
 */
export function enableMultipartForms(app: INestApplication): void {
  const adapter = app.getHttpAdapter();
  if (adapter.getType() !== 'fastify') return;
  const fastify = adapter.getInstance();
  if (fastify.hasContentTypeParser(MULTIPART)) return;
  fastify.addContentTypeParser(MULTIPART, (_request: unknown, _payload: unknown, done: (error: null) => void) => done(null));
}
