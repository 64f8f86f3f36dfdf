import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { hasExited, START_TIMEOUT_MS, trackChild } from '../utils/child-processes';

/**
 * The sample as `node sample/main.ts` in a child process of its own (a real second instance, not a second
 * Nest app in the test's process), from its TypeScript sources through `run-sample-ts.cjs`.
 */
const ROOT = join(__dirname, '../..');
const ARGS = ['-r', join(__dirname, 'run-sample-ts.cjs'), join(ROOT, 'sample/main.ts')];

export interface SampleProcess {
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Color-free logs, any free port, the test's environment plus `env` (an `undefined` value removes a variable). */
function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', PORT: '0', HOST: '127.0.0.1', ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return () => text;
}

/** Starts the sample and resolves once it listens (its log line gives the URL); rejects when it exits first. */
export function startSampleProcess(env: Record<string, string | undefined>, timeoutMs = START_TIMEOUT_MS): Promise<SampleProcess> {
  const child = trackChild(spawn(process.execPath, ARGS, { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = collect(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (!hasExited(child)) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The sample did not start within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const onData = () => {
      const match = /Swagger UI at (http:\/\/[^\s/]+)\//.exec(output());
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ url: match[1], output, stop });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The sample exited with code ${code} before listening:\n${output()}`));
    });
  });
}

/** Runs the sample until it exits (it should refuse to start): its exit code and output. */
export function runSampleUntilExit(env: Record<string, string | undefined>, timeoutMs = START_TIMEOUT_MS): Promise<{ code: number | null; output: string }> {
  const child = trackChild(spawn(process.execPath, ARGS, { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = collect(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The sample was still running after ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output() });
    });
  });
}
