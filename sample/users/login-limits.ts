import { availableParallelism } from 'node:os';

/** Injection token of the LoginLimits. */
export const LOGIN_LIMITS = Symbol('LOGIN_LIMITS');

/** How many password verifications run at once, and how many more may wait; beyond that, 503. */
export interface LoginLimits {
  concurrency: number;
  queue: number;
}

/** libuv's thread pool size: argon2 runs there, next to file system, DNS and zlib work. */
function threadPoolSize(env: NodeJS.ProcessEnv): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? size : 4;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer >= ${minimum}, got "${raw}".`);
  return value;
}

/**
 * `LOGIN_CONCURRENCY` (default: one core fewer than the machine has, so that one core always serves the
 * other requests, and never more than libuv's thread pool, UV_THREADPOOL_SIZE, minus one thread for the
 * rest of the pool's work; at least 1) and `LOGIN_QUEUE` (default 16 per slot).
 */
export function loginLimitsFrom(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): LoginLimits {
  const fallback = Math.max(1, Math.min(cores - 1, threadPoolSize(env) - 1));
  const concurrency = positiveInteger(env, 'LOGIN_CONCURRENCY', fallback, 1);
  return { concurrency, queue: positiveInteger(env, 'LOGIN_QUEUE', 16 * concurrency, 0) };
}
