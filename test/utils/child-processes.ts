import type { ChildProcess } from 'node:child_process';

/**
 * Every child process a test file starts (OpenID providers, sample instances, redis-server). The test
 * environment (test-environment.ts) kills what is still running once the file's own hooks are done, and
 * anything a timed-out hook starts later is killed at once, so no child can keep Jest from exiting.
 */
interface Children {
  running: Set<ChildProcess>;
  closed: boolean;
}
const CHILDREN = Symbol.for('nestjs-security-schemes.test.children');

function childrenOf(scope: object): Children {
  const holder = scope as { [CHILDREN]?: Children };
  return (holder[CHILDREN] ??= { running: new Set(), closed: false });
}

export function trackChild<T extends ChildProcess>(child: T): T {
  const children = childrenOf(globalThis);
  if (children.closed) {
    void killChildren([child]);
    return child;
  }
  children.running.add(child);
  child.once('exit', () => children.running.delete(child));
  return child;
}

/** Kills the children of a test file's global scope, and any it starts from now on. */
export function closeChildren(scope: object): Promise<void> {
  const children = childrenOf(scope);
  children.closed = true;
  return killChildren(children.running);
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function killChildren(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map((child) => {
      if (hasExited(child)) return undefined;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

/** It starts in about a second; the margin is for a busy machine. The suites' hooks have 60 s. */
export const START_TIMEOUT_MS = 45_000;

/**
 * Resolves with the `ready` value a forked child sends once it listens; rejects (and kills it) when it exits
 * first or does not report within `START_TIMEOUT_MS`. `what` names it in the error.
 */
export function readyMessage(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
    child.on('message', (message: { ready?: string }) => {
      if (!message.ready) return;
      clearTimeout(timer);
      resolve(message.ready);
    });
  });
}
