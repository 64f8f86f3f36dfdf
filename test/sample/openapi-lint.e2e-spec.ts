import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { startSample } from './sample-app';

// The sample's OpenAPI document (what /docs-json serves, as users copy it) against Redocly's `recommended`
// ruleset, with the CLI pinned in devDependencies (@redocly/cli 2.77.0): no error, and no warning either.
// Offline: the document is a local file without external $ref, telemetry and the update check are off
// (REDOCLY_TELEMETRY, REDOCLY_SUPPRESS_UPDATE_NOTICE), and the CLI runs from node_modules, never through npx.
const REDOCLY_CLI = join(dirname(require.resolve('@redocly/cli/package.json')), 'bin/cli.js');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  version: string;
  problems: { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer?: string }[] }[];
}

/** `redocly lint --extends recommended --format json <file>` in an empty directory (no redocly.yaml picked up). */
async function lint(document: unknown): Promise<LintReport> {
  const dir = await mkdtemp(join(tmpdir(), 'sample-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const args = [REDOCLY_CLI, 'lint', '--extends', 'recommended', '--format', 'json', '--max-problems', '1000', file];
    // Exit code 1 when there are errors: the report on stdout says which.
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { cwd: dir, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
        if (out.trim().startsWith('{')) resolve(out);
        else reject(new Error(`redocly lint gave no report (${error?.message ?? 'no error'}):\n${out}\n${err}`));
      }),
    );
    return JSON.parse(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.each(PLATFORMS)("sample: Redocly's recommended rules on the OpenAPI document (%s)", (platform) => {
  let t: TestApp;
  beforeAll(async () => (t = await startSample(platform)));
  afterAll(() => t.close());

  it('passes with no error and no warning', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const report = await lint(document);
    expect(report.version).toBe('2.77.0');
    const problems = report.problems.map(({ severity, ruleId, location, message }) => `${severity} ${ruleId} at ${location[0]?.pointer}: ${message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });

  it('documents the public token route with an explicit empty security list, the API relative to the document, and a license', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    expect(document.paths['/token'].post.security).toEqual([]);
    expect(document.servers).toEqual([{ url: '/' }]);
    expect(document.info.license).toEqual({ name: 'MIT', url: 'https://opensource.org/licenses/MIT' });
  });
});
