import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RetryLaterException } from './retry-later.exception.js';

/** Answers a RetryLaterException with its status, body and a `Retry-After` header, on Express and Fastify. */
@Catch(RetryLaterException)
export class RetryAfterFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: RetryLaterException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterSeconds))));
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
