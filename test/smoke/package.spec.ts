import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Runs against the build (`npm test` builds first): the published package must load both ways.
const root = join(__dirname, '..', '..');
const run = (file: string) =>
  JSON.parse(execFileSync(process.execPath, [join(__dirname, 'fixtures', file)], { cwd: root, encoding: 'utf8' }));

describe('the built package', () => {
  it('exports ESM and CommonJS entry points with types', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({
      import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
      require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
    });
    for (const file of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts']) {
      expect(() => readFileSync(join(root, file))).not.toThrow();
    }
  });

  it('serves a guarded route when imported as ESM', () => {
    expect(run('app.mjs')).toEqual({ denied: [401, 'APIKey'], allowed: { format: 'esm' } });
  });

  it('serves a guarded route when required as CommonJS', () => {
    expect(run('app.cjs')).toEqual({ denied: [401, 'APIKey'], allowed: { format: 'cjs' } });
  });
});
