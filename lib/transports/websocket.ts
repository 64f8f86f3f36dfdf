import { HttpException, type ExecutionContext, type Type } from '@nestjs/common';
import type { SecurityRequest } from '../schemes/security-scheme.js';
import { challengeScopes } from './graphql.js';
import { headersOf } from '../core/security.exception.js';

// WebSocket gateways (`@nestjs/platform-ws`): a message handler's `context.getArgs()` is
// `[client, data, pattern]`. Nothing here imports `ws` or `@nestjs/websockets`: the handshake
// request is remembered when the gateway's `handleConnection` runs (see `installConnectionHook`).

/** The handshake of each connected client: headers (and cookies) and the query string. */
const handshakes = new WeakMap<object, SecurityRequest>();
/** The request of the latest checked message, by its data object (or by client for primitive data). */
const byMessage = new WeakMap<object, SecurityRequest>();
const NO_HANDSHAKE: SecurityRequest = { headers: {}, query: {} };

/** Marks the arguments of a connection check, as opposed to a message. */
const CONNECTION = Symbol('security-schemes:ws-connection');
/** Where the registry leaves a gateway instance's connection check. */
const CONNECTION_CHECK = Symbol('security-schemes:ws-connection-check');
const HOOK = Symbol('security-schemes:ws-connection-hook');

/** Close codes for a refused connection: 4000 + the HTTP status (4401, 4403); 1011 for anything else. */
export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

export type ConnectionCheck = (client: object, request: unknown) => Promise<boolean>;

/** Stores the handshake of a client, as a request the schemes can read. */
export function rememberHandshake(client: object, request: unknown): void {
  const incoming = request as { headers?: SecurityRequest['headers']; url?: string } | undefined;
  if (!incoming || typeof incoming.headers !== 'object') return;
  const url = new URL(incoming.url ?? '/', 'ws://localhost');
  // No prototype: every name, `__proto__` included, is a plain entry (on `{}` it would replace the prototype).
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of url.searchParams) {
    const previous = query[name];
    query[name] = previous === undefined ? value : ([] as string[]).concat(previous, value);
  }
  handshakes.set(client, { headers: incoming.headers, query });
}

/** A fresh request over the client's handshake for each check (never shared between messages). */
export function websocketRequest(context: ExecutionContext): SecurityRequest {
  const [client, data, marker] = context.getArgs();
  const { headers, query } = handshakes.get(client) ?? NO_HANDSHAKE;
  const request: SecurityRequest = { headers, query };
  if (marker !== CONNECTION) byMessage.set(messageKey(client, data), request);
  return request;
}

/** The client of a connection check (its authorization lasts as long as the connection); undefined for a message. */
export function connectingClient(context: ExecutionContext): object | undefined {
  const [client, , marker] = context.getArgs();
  return marker === CONNECTION ? client : undefined;
}

/** The request the guard checked for this message, for `@CurrentUser()` and friends. */
export function checkedWebsocketRequest(context: ExecutionContext): object | undefined {
  const [client, data] = context.getArgs();
  return byMessage.get(messageKey(client, data));
}

function messageKey(client: object, data: unknown): object {
  return typeof data === 'object' && data !== null ? data : client;
}

/**
 * Reports a failed check. A connection is closed with 4401/4403 and the message as reason; a
 * message gets an `exception` event `{ status, statusCode, message, pattern, scopes? }` and the
 * connection stays open. Returns the error for the guard to rethrow (an HttpException, which Nest's
 * WebSocket exception filter does not log).
 */
export function reportWebsocketFailure(error: unknown, context: ExecutionContext): unknown {
  const [client, , marker] = context.getArgs();
  const status = error instanceof HttpException ? error.getStatus() : 500;
  const message = error instanceof HttpException ? error.message : 'Internal server error';
  const socket = client as { readyState?: number; send?(data: string): void; close?(code: number, reason: string): void };
  if (marker === CONNECTION) {
    const code = status >= 400 && status < 500 ? 4000 + status : 1011;
    socket.close?.(code, message.slice(0, 120));
    return error;
  }
  if (socket.readyState === 1 && typeof socket.send === 'function') {
    const data: Record<string, unknown> = { status: 'error', statusCode: status, message, pattern: context.getArgs()[2] };
    if (status === 403) data.scopes = challengeScopes(headersOf(error)?.['WWW-Authenticate']);
    socket.send(JSON.stringify({ event: 'exception', data }));
  }
  return error;
}

/** The execution context of a connection check: type `ws`, arguments `[client, handshake]`. */
export function connectionContext(gateway: Type, handler: Function, client: object, request: unknown): ExecutionContext {
  const args = [client, request, CONNECTION];
  const unsupported = (): never => {
    throw new Error('A WebSocket connection check has only switchToWs().');
  };
  return {
    getType: () => 'ws',
    getArgs: () => args,
    getArgByIndex: (index: number) => args[index],
    getClass: () => gateway,
    getHandler: () => handler,
    switchToWs: () => ({ getClient: () => client, getData: () => request, getPattern: () => 'connection' }),
    switchToHttp: unsupported,
    switchToRpc: unsupported,
  } as unknown as ExecutionContext;
}

/**
 * Gives the gateway class a `handleConnection` that remembers each client's handshake and, when the
 * instance has a connection check, refuses failing clients before the gateway's own
 * `handleConnection` runs. Installed once per class; Nest calls `handleConnection` only when the
 * class has one at start-up, so this runs when the application is created.
 */
export function installConnectionHook(gateway: Type): void {
  const prototype = gateway.prototype as { handleConnection?: Function & { [HOOK]?: true } };
  const own = prototype.handleConnection;
  if (own?.[HOOK]) return;
  const handleConnection = async function (this: { [CONNECTION_CHECK]?: ConnectionCheck }, client: object, ...rest: unknown[]) {
    rememberHandshake(client, rest[0]);
    const check = this[CONNECTION_CHECK];
    if (check && !(await check(client, rest[0]))) return undefined;
    return own?.apply(this, [client, ...rest]);
  };
  Object.defineProperty(handleConnection, HOOK, { value: true });
  Object.defineProperty(prototype, 'handleConnection', { value: handleConnection, writable: true, configurable: true });
}

/** Sets the check the hook runs for one gateway instance. */
export function setConnectionCheck(instance: object, check: ConnectionCheck): void {
  Object.defineProperty(instance, CONNECTION_CHECK, { value: check, configurable: true });
}

/** A stand-in handler per gateway class for its connection: its requirement is the class-level one. */
const connectionHandlers = new WeakMap<Function, Function>();

export function connectionHandlerOf(gateway: Function): Function {
  let handler = connectionHandlers.get(gateway);
  if (!handler) {
    handler = function handleConnection() {};
    connectionHandlers.set(gateway, handler);
  }
  return handler;
}
