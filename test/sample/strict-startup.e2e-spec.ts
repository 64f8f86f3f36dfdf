import { DEVELOPMENT_SECRET_KEY } from '../../sample/auth/signing-key';
import { runSampleUntilExit, startSampleProcess } from './sample-process';

// The sample started as `node sample/main.ts` in a process of its own, as in production: the bad
// SECRET_KEY / NODE_ENV combinations stop it with exit code 1 and a message that says what to set.
// (Every combination is also checked against loadSigningKey in sample-config.spec.ts.)
const TIMEOUT = 60_000;
const HOW = 'Set SECRET_KEY to a random value of at least 32 bytes, e.g. `export SECRET_KEY=$(openssl rand -hex 32)`';

describe('sample: strict start-up outside NODE_ENV=development', () => {
  it.each([
    ['no SECRET_KEY, NODE_ENV=Production', { NODE_ENV: 'Production', SECRET_KEY: undefined }, 'SECRET_KEY is not set (NODE_ENV=Production is not development'],
    ['no SECRET_KEY, NODE_ENV=prod', { NODE_ENV: 'prod', SECRET_KEY: undefined }, 'SECRET_KEY is not set (NODE_ENV=prod is not development'],
    ['a 31-byte SECRET_KEY', { NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(31) }, 'SECRET_KEY must be at least 32 bytes (256 bits) for HS256.'],
    ['a SECRET_KEY of spaces', { NODE_ENV: 'production', SECRET_KEY: ' '.repeat(64) }, 'SECRET_KEY is only whitespace.'],
    ['the development key, NODE_ENV unset', { NODE_ENV: undefined, SECRET_KEY: DEVELOPMENT_SECRET_KEY }, "SECRET_KEY is the sample's public development key"],
  ])(
    'refuses to start with %s',
    async (_name, env, message) => {
      const { code, output } = await runSampleUntilExit(env);
      expect(code).toBe(1);
      expect(output).toContain(message);
      expect(output).toContain(HOW);
      expect(output).not.toContain('Swagger UI at');
    },
    TIMEOUT,
  );

  it(
    'starts in development mode without SECRET_KEY, and says so',
    async () => {
      const sample = await startSampleProcess({ NODE_ENV: 'development', SECRET_KEY: undefined });
      try {
        expect(sample.output()).toContain('Development mode (NODE_ENV=development): not for production.');
        expect(sample.output()).toContain('SECRET_KEY is not set: tokens are signed with the public development key');
        const response = await fetch(`${sample.url}/docs-json`);
        expect(response.status).toBe(200);
      } finally {
        await sample.stop();
      }
    },
    TIMEOUT,
  );

  it(
    'starts in production with a proper SECRET_KEY',
    async () => {
      const sample = await startSampleProcess({ NODE_ENV: 'production', SECRET_KEY: 'p'.repeat(32) });
      try {
        expect(sample.output()).not.toContain('Development mode');
        expect((await fetch(`${sample.url}/status`)).status).toBe(401);
      } finally {
        await sample.stop();
      }
    },
    TIMEOUT,
  );
});
