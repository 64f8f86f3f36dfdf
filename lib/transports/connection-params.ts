import type { SecurityRequest } from '../schemes/security-scheme.js';

/** One request per graphql-ws connection, built when its first operation is checked. */
const byConnection = new WeakMap<object, SecurityRequest>();

/**
 * A graphql-ws connection's `connectionParams` read as a request: each string entry is a header
 * (names match case-insensitively, so `Authorization` or an API-key header name) and a query
 * parameter (for `APIKeyQuery`). A `Cookie` entry is read by `APIKeyCookie`.
 */
export function connectionParamsRequest(connection: { connectionParams?: unknown }): SecurityRequest {
  let request = byConnection.get(connection);
  if (!request) {
    const headers: Record<string, string> = {};
    const query: Record<string, string> = {};
    const params = connection.connectionParams;
    if (typeof params === 'object' && params !== null) {
      for (const [name, value] of Object.entries(params)) {
        if (typeof value !== 'string') continue;
        headers[name.toLowerCase()] = value;
        query[name] = value;
      }
    }
    request = { headers, query };
    byConnection.set(connection, request);
  }
  return request;
}
