import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/**
 * A real `redis-server` (Debian's package) on a free local port, without persistence, for one suite.
 * Suites call `describeWithRedis(...)`: without `redis-server` they print a visible "NOT RUN" line, and
 * with REQUIRE_REDIS=1 (.ci/run) they fail instead.
 */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
export const hasRedisServer = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL: no save, like a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const kill = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      child = await launch(port);
    },
    stop: kill,
  };
}

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

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not listen on port ${port} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
