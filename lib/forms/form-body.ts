import { BadRequestException, PayloadTooLargeException, type INestApplication } from '@nestjs/common';
import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export const URLENCODED = 'application/x-www-form-urlencoded';
export const MULTIPART = 'multipart/form-data';

/** A token request is tiny: these caps only stop abuse. Files in the form count towards the body size. */
const FORM_LIMITS = { bodyBytes: 100 * 1024, fields: 32 } as const;

/** An Express request, or a Fastify request (whose Node request is `raw`). */
interface FormRequest {
  headers: IncomingHttpHeaders;
  body?: unknown;
  raw?: Readable;
}

/** Form fields by name. A value may be a string, a list (repeated field) or whatever a body parser made. */
export type FormFields = Record<string, unknown>;

/**
 * The fields of a url-encoded or multipart body. A body the platform (or `@fastify/multipart`
 * with `attachFieldsToBody`) already parsed is used as is; otherwise the request stream is read
 * here. Any other content type yields no fields.
 */
export async function readFormFields(request: FormRequest): Promise<FormFields> {
  const type = mediaType(request.headers['content-type']);
  if (type !== URLENCODED && type !== MULTIPART) return {};
  const { body } = request;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) return body as FormFields;
  const stream = request.raw ?? (request as unknown as Readable);
  if (stream.readableEnded) return {};
  return parseStream(stream, request.headers);
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** Reads a form with busboy: text fields only (files are skipped), within `FORM_LIMITS`. */
function parseStream(stream: Readable, headers: IncomingHttpHeaders): Promise<FormFields> {
  const declaredLength = Number(headers['content-length']);
  if (declaredLength > FORM_LIMITS.bodyBytes) return Promise.reject(tooLarge());

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
    let settled = false;
    const countBytes = (chunk: Buffer) => {
      received += chunk.length;
      if (received > FORM_LIMITS.bodyBytes) fail(tooLarge());
    };
    const onStreamError = () => fail(malformed());
    const onStreamClose = () => {
      if (!stream.readableEnded) fail(malformed()); // the client went away mid-body
    };
    const finish = () => {
      settled = true;
      stream.off('data', countBytes).off('error', onStreamError).off('close', onStreamClose);
    };
    const fail = (error: Error) => {
      if (settled) return;
      finish();
      stream.unpipe(parser);
      stream.resume(); // discard the rest, so that the answer reaches the client
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
    stream.on('data', countBytes).on('error', onStreamError).on('close', onStreamClose);
    stream.pipe(parser);
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
