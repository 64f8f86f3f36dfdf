import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface BenchOptions {
  /** Concurrent connections of the load generator (scenarios 1-7). */
  connections: number;
  /** Seconds of load per scenario and round. */
  duration: number;
  /** Rounds; every scenario is measured once per round, in turn. The report gives medians. */
  rounds: number;
  /** Each round measures every load scenario in this many slices of duration / slices seconds, A B … B A. */
  slices: number;
  /** Seconds of load that warm each server up before it is measured. */
  warmup: number;
  /** Start every load scenario's server anew each round, so that a process's own luck averages out over the rounds. */
  restart: boolean;
  /** Only the scenarios whose id (`express/jwt`, `fastify/login`...) contains one of these. */
  only: string[];
  /** Scenario 8: clients posting the password form, one login in flight each. */
  loginConnections: number;
  /** Scenario 8: the sample's LOGIN_CONCURRENCY (argon2 verifications at once); 0 keeps the sample's default. */
  loginConcurrency: number;
  /** Scenario 8: connections of the protected GET probed during the flood. */
  probeConnections: number;
  /** Scenario 8: the probe's rate, requests per second over all its connections. */
  probeRate: number;
  /** Pin each server to CPU 0 and the load generator to CPU 1 (Linux `taskset`, 2 or more cores). */
  pin: boolean;
  /** Run the micro-benchmarks (bench/micro.ts) first. */
  micro: boolean;
  /** Only the micro-benchmarks. */
  microOnly: boolean;
  /** Start the servers with `node --cpu-prof`; profiles go to bench/profiles/. */
  cpuProf: boolean;
  /** Measure nothing: print the report of the last run (bench/results.json) again, with the current goals. */
  report: boolean;
}

const DEFAULTS: BenchOptions = {
  connections: 32,
  duration: 5,
  rounds: 3,
  slices: 5,
  warmup: 3,
  restart: true,
  only: [],
  loginConnections: 64,
  loginConcurrency: 0,
  probeConnections: 8,
  probeRate: 1000,
  pin: availableParallelism() >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0,
  micro: true,
  microOnly: false,
  cpuProf: false,
  report: false,
};

const HELP = `npm run bench -- [options]     (each also as an environment variable, e.g. BENCH_DURATION=10)
  --connections=N        load generator connections, scenarios 1-7 (default ${DEFAULTS.connections})
  --duration=S           seconds per scenario and round (default ${DEFAULTS.duration})
  --rounds=N             rounds, at least 3 for a report (default ${DEFAULTS.rounds})
  --slices=N             slices per scenario and round, measured A B … B A across scenarios (default ${DEFAULTS.slices})
  --warmup=S             seconds of warm-up load per server (default ${DEFAULTS.warmup})
  --no-restart           keep each server for every round (by default every load server is started anew each round)
  --only=a,b             scenarios whose id contains a or b: express/jwt, fastify/, -peer, /sample-login ...; a$ matches the end (/jwt$)
  --login-connections=N  scenario 8: concurrent logins against the sample (default ${DEFAULTS.loginConnections})
  --login-concurrency=N  scenario 8: the sample's LOGIN_CONCURRENCY, argon2 verifications at once (default: the sample's own)
  --probe-connections=N  scenario 8: connections of the protected GET (default ${DEFAULTS.probeConnections})
  --probe-rate=N         scenario 8: protected GET requests per second (default ${DEFAULTS.probeRate})
  --no-pin               do not pin servers to CPU 0 and the load generator to CPU 1 (needs taskset)
  --no-micro             skip the micro-benchmarks
  --micro-only           only the micro-benchmarks
  --cpu-prof             start servers with node --cpu-prof (profiles in bench/profiles/)
  --report               measure nothing: print the last run's report (bench/results.json) again`;

/** Reads `--name=value` flags, then `BENCH_NAME` variables, then the defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    process.exit(0);
  }
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--(no-)?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument ${arg}.\n${HELP}`);
    flags.set(match[2], match[1] ? 'false' : (match[3] ?? 'true'));
  }
  const options: BenchOptions = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof BenchOptions)[]) {
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const raw = flags.get(flag) ?? env[`BENCH_${flag.replace(/-/g, '_').toUpperCase()}`];
    flags.delete(flag);
    if (raw === undefined) continue;
    const fallback = DEFAULTS[key];
    if (Array.isArray(fallback)) (options[key] as string[]) = raw.split(',').filter(Boolean);
    else if (typeof fallback === 'boolean') (options[key] as boolean) = raw !== 'false' && raw !== '0';
    else {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0) throw new Error(`--${flag} needs a number >= 0, got ${raw}.`);
      (options[key] as number) = value;
    }
  }
  if (flags.size > 0) throw new Error(`Unknown option --${[...flags.keys()][0]}.\n${HELP}`);
  if (options.connections < 1 || options.duration <= 0 || options.rounds < 1 || options.slices < 1 || !Number.isInteger(options.slices)) {
    throw new Error('--connections, --duration, --rounds and --slices must be at least 1 (--slices a whole number).');
  }
  return options;
}
