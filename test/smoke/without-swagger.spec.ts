import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs against the build (`npm test` builds first): the packed library, installed into a new app
// that has NestJS but not @nestjs/swagger, must load and serve its guard and password form.
const root = join(__dirname, '..', '..');
const fixtures = join(__dirname, 'fixtures', 'no-swagger');
const RUNTIME = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'];

/** `name@version` of the copy this project uses, so npm finds it in its cache (`npm ci` filled it). */
const pinned = (name: string) => `${name}@${JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version}`;

/** A new app with the packed library and `packages` (and nothing else), the fixtures copied in. */
function installApp(packages: string[]): string {
  if (!existsSync(join(root, 'dist', 'cjs', 'index.js'))) throw new Error('Build the library first: npm run build');
  const app = mkdtempSync(join(tmpdir(), 'no-swagger-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8' });
  const tarball = packed.trim().split('\n').pop()!;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'no-swagger-app', private: true }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `./${tarball}`, ...packages], {
    cwd: app,
    stdio: 'pipe',
  });
  cpSync(fixtures, app, { recursive: true });
  return app;
}

const run = (app: string, file: string) => JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
const served = (format: string) => ({
  swagger: 'absent',
  denied: [401, 'APIKey'],
  allowed: [200, { format }],
  form: [201, { username: 'johndoe', scopes: ['me', 'items'] }],
});

describe('the packed library in an app without @nestjs/swagger', () => {
  let app: string;
  beforeAll(() => {
    app = installApp(RUNTIME.map(pinned));
  }, 180_000);
  afterAll(() => app && rmSync(app, { recursive: true, force: true }));

  it('is installed without @nestjs/swagger, an optional peer', () => {
    expect(existsSync(join(app, 'node_modules', 'nestjs-security-schemes', 'dist'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@nestjs', 'swagger'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'ioredis'))).toBe(false); // nor ioredis: the in-memory revocation store is the default
  });

  it('serves 401/200 and the password form when required as CommonJS', () => {
    expect(run(app, 'app.cjs')).toEqual(served('cjs'));
  });

  it('serves 401/200 and the password form when imported as ESM', () => {
    expect(run(app, 'app.mjs')).toEqual(served('esm'));
  });
});

describe('the packed library in a NestJS 12 app without @nestjs/swagger', () => {
  let app: string;
  beforeAll(() => {
    app = installApp(['@nestjs/common@^12', '@nestjs/core@^12', '@nestjs/platform-express@^12', 'reflect-metadata', 'rxjs']);
  }, 180_000);
  afterAll(() => app && rmSync(app, { recursive: true, force: true }));

  it('serves 401/200 and the password form from the ESM build (NestJS 12 is ESM-only)', () => {
    expect(existsSync(join(app, 'node_modules', '@nestjs', 'swagger'))).toBe(false);
    expect(JSON.parse(readFileSync(join(app, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8')).version).toMatch(/^12\./);
    expect(run(app, 'app.mjs')).toEqual(served('esm'));
  });
});
