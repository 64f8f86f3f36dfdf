import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { RefusalReason } from './refusal-reason.js';

export type ResponseHeaders = Record<string, string>;

/**
 * An HttpException that carries response headers, like FastAPI's `HTTPException(headers=...)`.
 * The body keeps Nest's usual shape: `{ statusCode, message, error }`, `error` being the status's reason
 * phrase from `node:http`'s `STATUS_CODES`.
 * The security guards copy `headers` onto the response before the exception reaches any filter;
 * validators may throw it to send their own `WWW-Authenticate` challenge.
 */
export class SecurityHttpException extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly headers: ResponseHeaders = {},
    /** Why the credentials were refused, for logs and the `onRefusal` hook; never sent to the client. */
    readonly reason?: RefusalReason,
    /** More words on the reason for the debug log (e.g. `invalid signature`); never sent, never holds credentials. */
    readonly detail?: string,
  ) {
    super({ statusCode: status, message, error: STATUS_CODES[status] ?? 'Error' }, status);
  }
}

/** Headers an exception asks to be sent with it, if any. */
export function headersOf(error: unknown): ResponseHeaders | undefined {
  if (!(error instanceof HttpException)) return undefined;
  const headers = (error as { headers?: unknown }).headers;
  return headers && typeof headers === 'object' ? (headers as ResponseHeaders) : undefined;
}
