import type { ExecutionContext } from '@nestjs/common';
import type { SecurityRequest } from '../schemes/security-scheme.js';
import type { SecurityContext } from '../core/security-context.js';
import type { CompiledRoute } from '../core/registry/compiled-route.js';
import { endedRefusal, type ConnectionWatch, type WatchedSocket } from './connection-watch.js';
import { graphqlRequest, isSubscriptionContext, subscriptionSocket, toGraphQLError } from './graphql.js';
import { checkedWebsocketRequest, connectingClient, reportWebsocketFailure, websocketRequest } from './websocket.js';

// What the guard needs from each transport it protects: the request to read credentials from, and
// how a failure is reported. HTTP is handled by the guard itself.

/** Context types the guard protects besides `http`. Microservice (`rpc`) handlers are refused at start-up. */
export function isProtectedTransport(type: string): boolean {
  return type === 'graphql' || type === 'ws';
}

/** The request whose credentials the guard reads, for a `graphql` or `ws` context. */
export function transportRequest(context: ExecutionContext): SecurityRequest {
  return context.getType() === 'ws' ? websocketRequest(context) : graphqlRequest(context);
}

/** The request the guard left its security context on, for the parameter decorators. */
export function checkedRequest(context: ExecutionContext): object | undefined {
  switch (context.getType<string>()) {
    case 'graphql':
      return graphqlRequest(context);
    case 'ws':
      return checkedWebsocketRequest(context);
    default:
      return context.switchToHttp().getRequest();
  }
}

/** The error to throw for a failed check in a `graphql` or `ws` context, after reporting it there. */
export function transportFailure(error: unknown, context: ExecutionContext): unknown {
  if (context.getType() === 'ws') return reportWebsocketFailure(error, context);
  return toGraphQLError(error, !isSubscriptionContext(context));
}

/**
 * After a check passed in a `graphql` or `ws` context. A gateway connection, or the connection under a graphql-ws
 * subscription, is watched until what it was authorized with expires or is revoked (connection-watch.ts); other
 * calls are left alone. Throws the refusal when it already is over (the connection is then closed with 4401).
 * A subscription whose connection cannot be closed (not graphql-ws over `ws`) is refused: it could not be ended.
 */
export function watchLongLived(watch: ConnectionWatch, context: ExecutionContext, route: CompiledRoute, passed: SecurityContext): void {
  const socket = context.getType() === 'ws' ? connectingClient(context) : subscriptionSocket(context);
  if (socket === undefined) return;
  const authorizations = watch.authorizationsOf(route, passed);
  if (authorizations.length === 0) return;
  if (!isWatchable(socket)) {
    const handler = `${route.controller.name}.${route.methodName}`;
    throw new Error(`${handler}: this connection could not be closed when its credentials end (needs graphql-ws over ws, or platform-ws).`);
  }
  const ended = watch.watch(socket, authorizations, { handler: `${route.controller.name}.${route.methodName}`, context });
  if (ended) throw endedRefusal(ended);
}

/** Before a gateway message is checked: when its connection's authorization is over, the connection is closed and the message refused. */
export function refuseOnEndedConnection(watch: ConnectionWatch, context: ExecutionContext): void {
  const ended = watch.check(context.getArgs()[0] as WatchedSocket);
  if (ended) throw endedRefusal(ended);
}

/** `result`, calling `then` once it passed (a throw from `then` refuses the call). */
export function whenPassed(result: true | Promise<boolean>, then: () => void): true | Promise<boolean> {
  if (result === true) {
    then();
    return true;
  }
  return result.then((passed) => {
    if (passed) then();
    return passed;
  });
}

function isWatchable(socket: unknown): socket is WatchedSocket {
  const candidate = socket as Partial<WatchedSocket> | null;
  return typeof candidate?.close === 'function' && typeof candidate.once === 'function' && typeof candidate.readyState === 'number';
}
