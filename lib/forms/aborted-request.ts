import { BadRequestException, type Logger } from '@nestjs/common';

/**
 * A client that hung up mid-body. It is no server error: a 400 that nobody receives, which Nest does not
 * log as an error because it is an HttpException.
 */
export class RequestAbortedException extends BadRequestException {
  constructor() {
    super('Request aborted');
  }
}

/** The aborted request's exception, logged once at debug level. */
export function abortedRequest(logger: Logger, method: string | undefined, url: string | undefined): RequestAbortedException {
  logger.debug(`${method} ${url}: the client closed the connection before its body was complete`);
  return new RequestAbortedException();
}
