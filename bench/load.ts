import autocannon from 'autocannon';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchRequest } from './scenarios';
import { LatencyRecorder, quantile } from './stats';

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadResult {
  /** 2xx responses. */
  ok: number;
  /** Responses that were not 2xx, and connection errors or timeouts: any of these invalidates a scenario. */
  failed: number;
  /** Status codes that were not 2xx, for the error message. */
  statuses: number[];
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RunningLoad {
  done: Promise<LoadResult>;
  /** Ends the load early (the result covers the time until then). */
  stop(): void;
}

/**
 * Drives one autocannon instance at 127.0.0.1:port. Latencies are recorded here, in fractional milliseconds,
 * because autocannon's own histogram rounds them to whole milliseconds.
 */
export function startLoad(port: number, request: BenchRequest, options: LoadOptions): RunningLoad {
  const latencies = new LatencyRecorder();
  const statuses = new Set<number>();
  let failed = 0;
  const started = process.hrtime.bigint();
  let instance: autocannon.Instance;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${request.path}`,
        method: request.method,
        headers: request.headers,
        body: request.body,
        // A scenario that needs a different request each time (a new token: scenario 15) sets varyHeaders.
        requests: request.varyHeaders ? [{ setupRequest: (sent) => ({ ...sent, headers: { ...sent.headers, ...request.varyHeaders!() } }) }] : undefined,
        connections: options.connections,
        duration: options.duration,
        timeout: 30,
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = latencies.sorted();
        failed += result.errors;
        resolve({
          ok: latencies.count,
          failed,
          statuses: [...statuses],
          seconds,
          rps: latencies.count / seconds,
          p50Ms: quantile(sorted, 0.5),
          p99Ms: quantile(sorted, 0.99),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTimeMs);
      else {
        failed++;
        statuses.add(statusCode);
      }
    });
  });
  return { done, stop: () => instance.stop() };
}

export interface ProbeOptions {
  /** Requests per second, sent on a fixed schedule. */
  rate: number;
  /** Keep-alive connections the requests share. */
  connections: number;
  /** Seconds. */
  duration: number;
}

/**
 * A steady, open-loop latency probe (node:http with keep-alive). autocannon's own rate limit sends each
 * second's requests in one burst and then waits, which measures a burst, not a steady load. Here request i
 * is sent at start + i/rate whatever the earlier ones are doing, so a stalled server shows up in full
 * (requests wait for a free connection, and that wait counts).
 */
export function startProbe(port: number, request: BenchRequest, options: ProbeOptions): RunningLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies = new LatencyRecorder();
  const statuses = new Set<number>();
  const intervalMs = 1000 / options.rate;
  const start = performance.now();
  let failed = 0;
  let sent = 0;
  let outstanding = 0;
  let stopped = false;
  let stoppedAt = 0;
  let finish: () => void = () => undefined;

  const send = () => {
    const sentAt = performance.now();
    outstanding++;
    const settle = (status: number) => {
      if (status >= 200 && status < 300) latencies.record(performance.now() - sentAt);
      else {
        failed++;
        if (status) statuses.add(status);
      }
      outstanding--;
      finish();
    };
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path: request.path, method: request.method, headers: request.headers, agent },
      (response) => {
        response.resume();
        response.on('end', () => settle(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', () => settle(0));
    outgoing.end(request.body);
  };

  const timer = setInterval(() => {
    const elapsed = performance.now() - start;
    if (stopped || elapsed >= options.duration * 1000) return stop();
    for (const due = Math.floor(elapsed / intervalMs) + 1; sent < due; sent++) send();
  }, 1);
  const stop = () => {
    if (!stopped) stoppedAt = performance.now();
    stopped = true;
    clearInterval(timer);
    finish();
  };

  const done = new Promise<LoadResult>((resolve) => {
    finish = () => {
      if (!stopped || outstanding > 0) return;
      finish = () => undefined;
      agent.destroy();
      const seconds = (stoppedAt - start) / 1000;
      const sorted = latencies.sorted();
      resolve({
        ok: latencies.count,
        failed,
        statuses: [...statuses],
        seconds,
        rps: latencies.count / seconds,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
      });
    };
  });
  return { done, stop };
}
