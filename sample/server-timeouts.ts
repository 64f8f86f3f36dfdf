import type { Server } from 'node:http';

/**
 * How long a client may take, in milliseconds. Node's defaults let a slow body hold a connection for
 * 5 minutes (requestTimeout) and slow headers for 1 minute: a few hundred slow clients then hold every socket.
 */
export interface ServerTimeouts {
  /** The whole request, headers and body: past it, 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** The request's headers. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection. Behind a proxy or load balancer, keep it above the proxy's own idle timeout. */
  keepAliveTimeoutMs: number;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of milliseconds >= 1, got "${raw}".`);
  return value;
}

/** `REQUEST_TIMEOUT_MS` (30 s), `HEADERS_TIMEOUT_MS` (10 s), `KEEP_ALIVE_TIMEOUT_MS` (5 s). */
export function serverTimeoutsFrom(env: NodeJS.ProcessEnv = process.env): ServerTimeouts {
  const timeouts = {
    requestTimeoutMs: milliseconds(env, 'REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: milliseconds(env, 'HEADERS_TIMEOUT_MS', 10_000),
    keepAliveTimeoutMs: milliseconds(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000),
  };
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    throw new Error(`HEADERS_TIMEOUT_MS (${timeouts.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${timeouts.requestTimeoutMs}).`);
  }
  return timeouts;
}

/**
 * Sets the timeouts on Node's HTTP server, the one under Express and under Fastify. Call it before `listen`:
 * Node checks the request and headers timeouts every `connectionsCheckingInterval` (30 s by default,
 * read when the server starts listening), here at most a second, so a timeout fires close to its time.
 */
export function applyServerTimeouts(server: Server, timeouts: ServerTimeouts): void {
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // A createServer() option, not in @types/node's Server; Node reads the property when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 2)));
}
