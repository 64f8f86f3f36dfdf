import { HttpException, type ExecutionContext } from '@nestjs/common';
import type { SecurityRequest } from '../schemes/security-scheme.js';
import { headersOf } from '../core/security.exception.js';
import { connectionParamsRequest } from './connection-params.js';

// GraphQL resolvers: `context.getArgs()` is `[root, args, context, info]`. Nothing here imports
// `graphql` or `@nestjs/graphql`: the operation's HTTP request is the context's `req` (the Apollo
// driver puts it there), and a graphql-ws subscription's context carries `connectionParams`.

/**
 * One request object per resolver call, so each field is checked on its own. It is kept on the call's
 * `info` object (unique to the call) under a symbol, which costs far less per call than a WeakMap entry
 * (about 0.6 µs and its garbage); a frozen `info` falls back to the WeakMap.
 */
const CALL_REQUEST = Symbol('security-schemes:call-request');
const byResolverCall = new WeakMap<object, SecurityRequest>();

type CallKey = { [CALL_REQUEST]?: SecurityRequest };

/** The request a resolver call reads credentials from: its own object, reading the operation's request. */
export function graphqlRequest(context: ExecutionContext): SecurityRequest {
  const args = context.getArgs();
  const key = (isObject(args[3]) ? args[3] : isObject(args[2]) ? args[2] : undefined) as CallKey | undefined;
  if (key === undefined) return callRequest(operationRequest(args[2]));
  const kept = key[CALL_REQUEST];
  if (kept !== undefined) return kept;
  if (!Object.isExtensible(key)) {
    let request = byResolverCall.get(key);
    if (request === undefined) byResolverCall.set(key, (request = callRequest(operationRequest(args[2]))));
    return request;
  }
  return (key[CALL_REQUEST] = callRequest(operationRequest(args[2])));
}

/**
 * A request of its own for one resolver call, reading the operation's headers and query (and `user`, for
 * `@CurrentUser()` when no security guard ran). A plain object of one shape: cheaper to read and write
 * than an object over a framework request's prototype chain.
 */
function callRequest(operation: SecurityRequest & { user?: unknown }): SecurityRequest {
  return { headers: operation.headers, query: operation.query, user: operation.user } as SecurityRequest;
}

/** True when the resolver runs inside a graphql-ws subscription rather than an HTTP request. */
export function isSubscriptionContext(context: ExecutionContext): boolean {
  return isGraphqlWsContext((context.getArgs()[2] as { req?: unknown } | undefined)?.req);
}

/**
 * The socket under a graphql-ws connection, for the call of a subscription's root field (its authorization lasts
 * as long as the subscription); undefined for any other call. Served by Nest's `graphql-ws/use/ws` server, whose
 * context carries the `ws` socket as `extra.socket`.
 */
export function subscriptionSocket(context: ExecutionContext): unknown {
  const [, , graphqlContext, info] = context.getArgs();
  const call = info as { operation?: { operation?: unknown }; path?: { prev?: unknown } } | undefined;
  if (call?.operation?.operation !== 'subscription' || call.path?.prev !== undefined) return undefined;
  const req = (graphqlContext as { req?: unknown } | undefined)?.req;
  return isGraphqlWsContext(req) ? (req as { extra?: { socket?: unknown } }).extra?.socket : null;
}

/** The HTTP request carrying the operation, or the subscription's `connectionParams` read as one. */
function operationRequest(graphqlContext: unknown): SecurityRequest {
  const req = (graphqlContext as { req?: unknown } | undefined)?.req;
  if (isGraphqlWsContext(req)) return connectionParamsRequest(req);
  if (req && typeof (req as SecurityRequest).headers === 'object') return req as SecurityRequest;
  return { headers: {} }; // no request in the context: nothing to read, so the requirement fails closed
}

function isGraphqlWsContext(value: unknown): value is { connectionParams?: unknown } {
  return typeof value === 'object' && value !== null && 'connectionInitReceived' in value && 'subscriptions' in value;
}

/**
 * An HttpException that GraphQL servers report with `extensions`: `code` (`UNAUTHENTICATED` or
 * `FORBIDDEN`), the required `scopes` for a 403, and over HTTP the `WWW-Authenticate` challenge in
 * `extensions.http.headers`, which Apollo Server moves to the HTTP response.
 */
export class GraphQLSecurityError extends HttpException {
  readonly extensions: Record<string, unknown>;

  constructor(error: HttpException, code: string, overHttp: boolean) {
    super(error.getResponse(), error.getStatus());
    const challenge = headersOf(error)?.['WWW-Authenticate'];
    this.extensions = { code };
    if (code === 'FORBIDDEN') this.extensions.scopes = challengeScopes(challenge);
    if (overHttp && challenge) this.extensions.http = { headers: new Map([['www-authenticate', challenge]]) };
  }
}

/** A 401 or 403 from the guard as a GraphQL error; anything else is left as it is. */
export function toGraphQLError(error: unknown, overHttp: boolean): unknown {
  if (!(error instanceof HttpException)) return error;
  const status = error.getStatus();
  if (status === 401) return new GraphQLSecurityError(error, 'UNAUTHENTICATED', overHttp);
  if (status === 403) return new GraphQLSecurityError(error, 'FORBIDDEN', overHttp);
  return error;
}

/** The `scope` parameter of an `insufficient_scope` challenge, as a list. */
export function challengeScopes(challenge: string | undefined): string[] {
  const match = challenge && /(?:^|[\s,])scope="((?:[^"\\]|\\.)*)"/.exec(challenge);
  if (!match) return [];
  return match[1].replace(/\\(.)/g, '$1').split(' ').filter(Boolean);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
