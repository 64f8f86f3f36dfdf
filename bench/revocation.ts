import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisRevocationStore } from 'nestjs-security-schemes';
import { quantile } from './stats';

// The revocation store's propagation and memory, against the redis-server run.ts started (BENCH_REDIS_URL).
// `node --expose-gc .bench-dist/bench/revocation.js`; `npm run bench` runs it after the scenario rounds.

export interface RevocationResults {
  propagation: { revocations: number; p50Ms: number; p99Ms: number; maxMs: number };
  memory: {
    entries: number;
    loadSeconds: number;
    rssGrowthMb: number;
    heapGrowthMb: number;
    bytesPerEntry: number;
    heldBeforeExpiry: number;
    heldAfterExpiry: number;
    /** Seconds from the tokens' exp until the instance held none of them. */
    secondsToDrop: number;
    redisBeforeExpiry: number;
    redisAfterExpiry: number;
  };
}

const PROPAGATIONS = 1000;
const MEMORY_ENTRIES = 1_000_000;
const now = () => Date.now() / 1000;
const collect = () => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number) => bytes / (1024 * 1024);

/** 1,000 revocations on instance A, each timed until instance B (another store, its own connections) refuses the jti. */
async function propagation(url: string): Promise<RevocationResults['propagation']> {
  const a = new RedisRevocationStore({ redis: url, prefix: '{bench-propagation}' });
  const b = new RedisRevocationStore({ redis: url, prefix: '{bench-propagation}' });
  await Promise.all([a.connect(), b.connect()]);
  try {
    const times: number[] = [];
    for (let i = 0; i < PROPAGATIONS; i++) {
      const jti = `propagated-${i}`;
      const started = performance.now();
      const sent = a.revokeToken(jti, now() + 3600);
      while (!b.isRevoked({ jti })) await new Promise((resolve) => setImmediate(resolve));
      times.push(performance.now() - started);
      await sent;
    }
    times.sort((x, y) => x - y);
    return { revocations: PROPAGATIONS, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99), maxMs: times[times.length - 1] };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** 1,000,000 revoked jtis loaded by one instance from Redis; then their tokens expire and the entries leave. */
async function memory(url: string): Promise<RevocationResults['memory']> {
  const prefix = '{bench-memory}';
  const key = `${prefix}:tokens`;
  const redis = new Redis(url);
  try {
    const expiresAt = Math.ceil(now()) + 40; // seeding and loading take a few seconds; then the tokens expire
    for (let start = 0; start < MEMORY_ENTRIES; start += 10_000) {
      const args: (string | number)[] = [];
      for (let i = start; i < start + 10_000; i++) args.push(expiresAt, `${i.toString(16).padStart(8, '0')}-7c1e-4b9a-9f3d-5e2a8c6b1d0f`); // 36-character ids, like UUIDs
      await redis.zadd(key, ...args);
    }
    collect();
    const before = process.memoryUsage();
    const store = new RedisRevocationStore({ redis: url, prefix, startupTimeoutMs: 120_000, commandTimeoutMs: 10_000 });
    const loadStarted = performance.now();
    await store.connect();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    collect();
    const after = process.memoryUsage();
    const heldBeforeExpiry = store.size;
    const redisBeforeExpiry = await redis.zcard(key);
    const rssGrowth = after.rss - before.rss;
    console.log(
      `  memory: ${heldBeforeExpiry.toLocaleString('en-US')} revoked jtis loaded from Redis in ${loadSeconds.toFixed(1)} s; ` +
        `RSS +${mb(rssGrowth).toFixed(0)} MB, heap +${mb(after.heapUsed - before.heapUsed).toFixed(0)} MB ` +
        `(${Math.round(rssGrowth / heldBeforeExpiry)} bytes per entry, RSS)`,
    );
    while (now() < expiresAt) await sleep(250);
    const expired = performance.now();
    while (store.size > 0 && performance.now() - expired < 120_000) await sleep(250);
    const secondsToDrop = (performance.now() - expired) / 1000;
    const heldAfterExpiry = store.size;
    await store.revokeToken('after-expiry', now() + 60); // a write drops the expired entries from Redis too
    const redisAfterExpiry = await redis.zcard(key);
    collect();
    console.log(
      `  memory: after the tokens' exp, the instance held ${heldAfterExpiry.toLocaleString('en-US')} of them ` +
        `${secondsToDrop.toFixed(1)} s later (background sweep); Redis ${redisBeforeExpiry.toLocaleString('en-US')} -> ` +
        `${redisAfterExpiry.toLocaleString('en-US')} (the new one) after the next write; heap now ${mb(process.memoryUsage().heapUsed).toFixed(0)} MB`,
    );
    await store.close();
    return {
      entries: MEMORY_ENTRIES,
      loadSeconds,
      rssGrowthMb: mb(rssGrowth),
      heapGrowthMb: mb(after.heapUsed - before.heapUsed),
      bytesPerEntry: rssGrowth / heldBeforeExpiry,
      heldBeforeExpiry,
      heldAfterExpiry,
      secondsToDrop,
      redisBeforeExpiry,
      redisAfterExpiry,
    };
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Error('BENCH_REDIS_URL is not set: run.ts starts a redis-server.');
  console.log('\nRevocation store (RedisRevocationStore, a real redis-server)');
  const propagated = await propagation(url);
  console.log(
    `  propagation: ${propagated.revocations} revocations on instance A, each until instance B refuses it: ` +
      `p50 ${propagated.p50Ms.toFixed(2)} ms, p99 ${propagated.p99Ms.toFixed(2)} ms, max ${propagated.maxMs.toFixed(2)} ms`,
  );
  const results: RevocationResults = { propagation: propagated, memory: await memory(url) };
  process.send?.({ revocation: results });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
