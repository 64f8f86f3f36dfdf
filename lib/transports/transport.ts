import type { ExecutionContext } from '@nestjs/common';
import type { SecurityRequest } from '../schemes/security-scheme.js';
import { graphqlRequest, isSubscriptionContext, toGraphQLError } from './graphql.js';
import { checkedWebsocketRequest, reportWebsocketFailure, websocketRequest } from './websocket.js';

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
