import { hasRedisServer, REDIS_SERVER } from './redis-process';

/**
 * A real `redis-server` (Debian's package) on a free local port, without persistence, for one suite.
 * Suites call `describeWithRedis(...)`: without `redis-server` they print a visible "NOT RUN" line, and
 * with REQUIRE_REDIS=1 (.ci/run) they fail instead.
 */
export { hasRedisServer, REDIS_SERVER, startRedisServer, type RedisServer } from './redis-process';

/** `describe` when redis-server is here; otherwise a NOT RUN line (or a failure under REQUIRE_REDIS=1). */
export function describeWithRedis(name: string, body: () => void): void {
  if (hasRedisServer) {
    describe(name, body);
    return;
  }
  const notFound = `${REDIS_SERVER} not found (install Debian's redis-server or set REDIS_SERVER)`;
  if (process.env.REQUIRE_REDIS === '1') {
    test(`${name}: redis-server is required (REQUIRE_REDIS=1)`, () => {
      throw new Error(`${notFound}. REQUIRE_REDIS=1, so the Redis tests must run.`);
    });
    return;
  }
  // Jest drops the console output of a suite whose tests are all skipped: write past it, so the line shows.
  process.stderr.write(`\nNOT RUN: ${name}. ${notFound}.\n\n`);
  const notRun = test.skip;
  notRun(`NOT RUN: ${name} (${notFound})`, () => undefined);
}
