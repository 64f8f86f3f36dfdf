import { HttpException, HttpStatus } from '@nestjs/common';

export type ResponseHeaders = Record<string, string>;

const REASONS: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.UNAUTHORIZED]: 'Unauthorized',
  [HttpStatus.FORBIDDEN]: 'Forbidden',
};

/**
 * An HttpException that carries response headers, like FastAPI's `HTTPException(headers=...)`.
 * The body keeps Nest's usual shape: `{ statusCode, message, error }`.
 * The security guards copy `headers` onto the response before the exception reaches any filter;
 * validators may throw it to send their own `WWW-Authenticate` challenge.
 */
export class SecurityHttpException extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly headers: ResponseHeaders = {},
  ) {
    super({ statusCode: status, message, error: REASONS[status] ?? 'Error' }, status);
  }
}

/** Headers an exception asks to be sent with it, if any. */
export function headersOf(error: unknown): ResponseHeaders | undefined {
  if (!(error instanceof HttpException)) return undefined;
  const headers = (error as { headers?: unknown }).headers;
  return headers && typeof headers === 'object' ? (headers as ResponseHeaders) : undefined;
}
