import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The client closed the connection before its answer was sent. Nobody receives this 400; Nest does not log it as an error. */
export class ClientGoneException extends BadRequestException {
  constructor() {
    super('Request aborted');
  }
}

/**
 * An AbortSignal that aborts (with a ClientGoneException) when the client hangs up before the answer is
 * sent, on Express and Fastify (Node's response emits `close` when its connection closes). Pass it to
 * work that is only worth doing for a client that is still there, such as a queued argon2 verification.
 */
export function clientGoneSignal(request: IncomingMessage, response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort(new ClientGoneException());
  if (request.socket.destroyed) abort();
  else {
    response.once('close', () => {
      if (!response.writableFinished) abort();
    });
  }
  return controller.signal;
}

/** Injects `clientGoneSignal` of the current HTTP request: `@ClientGone() signal: AbortSignal`. */
export const ClientGone = createParamDecorator((_data: unknown, context: ExecutionContext): AbortSignal => {
  const http = context.switchToHttp();
  // Express's request and response are Node's; Fastify's wrap them as `raw`.
  const request = http.getRequest<IncomingMessage & { raw?: IncomingMessage }>();
  const response = http.getResponse<ServerResponse & { raw?: ServerResponse }>();
  return clientGoneSignal(request.raw ?? request, response.raw ?? response);
});
