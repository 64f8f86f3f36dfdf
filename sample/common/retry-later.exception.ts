import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/**
 * 429 or 503 with `Retry-After` (RetryAfterFilter sends the header): too many requests, or the server is
 * busy; the client may try again after `retryAfterSeconds`. The body has Nest's usual shape.
 */
export class RetryLaterException extends HttpException {
  constructor(
    status: 429 | 503,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: status, message, error: STATUS_CODES[status] }, status);
  }
}
