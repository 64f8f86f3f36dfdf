import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRequest } from './scenarios';
import { LatencyRecorder, quantile } from './stats';

export interface LoginFloodOptions {
  /** Clients, each with one login in flight at a time. */
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoginFloodResult {
  /** Logins answered 200. */
  ok: number;
  /** Logins refused with 503 (the server's argon2 line was full); the client waited Retry-After and tried again. */
  refused: number;
  /** Other answers and connection errors. */
  failed: number;
  seconds: number;
  /** Logins answered 200 per second. */
  rps: number;
  /** Time of a successful login, waiting in the server's line included. */
  p50Ms: number;
}

export interface RunningLoginFlood {
  done: Promise<LoginFloodResult>;
  stop(): void;
}

/**
 * `connections` clients post the login form in a closed loop, each as soon as its previous login is answered,
 * and, like a well-behaved client, wait `Retry-After` seconds after a 503. (A flood that ignores Retry-After
 * is a plain request flood: the per-client throttle and the proxy in front answer that one.)
 */
export function startLoginFlood(port: number, request: BenchRequest, options: LoginFloodOptions): RunningLoginFlood {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies = new LatencyRecorder();
  const start = performance.now();
  const deadline = start + options.duration * 1000;
  let stopped = false;
  let refused = 0;
  let failed = 0;

  const post = () =>
    new Promise<{ status: number; retryAfterS: number }>((resolve) => {
      const outgoing = httpRequest(
        { host: '127.0.0.1', port, path: request.path, method: request.method, headers: request.headers, agent },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfterS: Number(response.headers['retry-after']) || 1 }));
        },
      );
      outgoing.on('error', () => resolve({ status: 0, retryAfterS: 1 }));
      outgoing.end(request.body);
    });

  const client = async () => {
    while (!stopped && performance.now() < deadline) {
      const sentAt = performance.now();
      const { status, retryAfterS } = await post();
      if (status === 200) latencies.record(performance.now() - sentAt);
      else if (status === 503) {
        refused++;
        await sleep(Math.min(retryAfterS * 1000, Math.max(0, deadline - performance.now())));
      } else failed++;
    }
  };

  const done = Promise.all(Array.from({ length: options.connections }, client)).then((): LoginFloodResult => {
    agent.destroy();
    const seconds = (performance.now() - start) / 1000;
    return { ok: latencies.count, refused, failed, seconds, rps: latencies.count / seconds, p50Ms: quantile(latencies.sorted(), 0.5) };
  });
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}
