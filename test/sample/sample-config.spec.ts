import type { Logger } from '@nestjs/common';
import { DEVELOPMENT_SECRET_KEY, loadSigningKey } from '../../sample/auth/signing-key';
import { serverTimeoutsFrom } from '../../sample/server-timeouts';
import { loginLimitsFrom } from '../../sample/users/login-limits';
import { ARGON2_OPTIONS, DUMMY_HASH, PasswordHasher } from '../../sample/users/password-hasher';
import { USERS } from '../../sample/users/users.data';

describe('sample: signing key (SECRET_KEY) and the development switch (NODE_ENV=development)', () => {
  const logger = () => ({ warn: jest.fn() }) as unknown as Logger & { warn: jest.Mock };
  const GOOD = 'a'.repeat(32);
  const HOW = 'Set SECRET_KEY to a random value of at least 32 bytes, e.g. `export SECRET_KEY=$(openssl rand -hex 32)`';

  it('builds a secret KeyObject from SECRET_KEY, without a warning, in production and in development', () => {
    for (const env of [{ SECRET_KEY: GOOD }, { SECRET_KEY: GOOD, NODE_ENV: 'production' }, { SECRET_KEY: GOOD, NODE_ENV: 'development' }]) {
      const log = logger();
      const key = loadSigningKey(env, log);
      expect(key.type).toBe('secret');
      expect(key.export()).toEqual(Buffer.from(GOOD));
      expect(log.warn).not.toHaveBeenCalled();
    }
  });

  it('in development mode only, falls back to the development key with a clear warning', () => {
    const log = logger();
    const key = loadSigningKey({ NODE_ENV: 'development' }, log);
    expect(key.export()).toEqual(Buffer.from(DEVELOPMENT_SECRET_KEY));
    expect(key.symmetricKeySize).toBeGreaterThanOrEqual(32);
    expect(log.warn).toHaveBeenCalledWith(
      'Development mode (NODE_ENV=development) and SECRET_KEY is not set: tokens are signed with the public development key, ' +
        'so anyone can forge them. Set SECRET_KEY (e.g. `export SECRET_KEY=$(openssl rand -hex 32)`) and leave NODE_ENV=development out before deploying.',
    );
    expect(loadSigningKey({ NODE_ENV: 'development', SECRET_KEY: DEVELOPMENT_SECRET_KEY }, logger()).export()).toEqual(Buffer.from(DEVELOPMENT_SECRET_KEY));
  });

  it.each([undefined, 'production', 'Production', 'prod', 'PRODUCTION', 'test', 'Development', 'dev', ' development', ''])(
    'refuses to start without SECRET_KEY when NODE_ENV is %p',
    (nodeEnv) => {
      const env = nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv };
      for (const secret of [undefined, '']) {
        expect(() => loadSigningKey(secret === undefined ? env : { ...env, SECRET_KEY: secret }, logger())).toThrow(
          `SECRET_KEY is not set (NODE_ENV=${nodeEnv ?? '(unset)'} is not development, so the development key is refused). ${HOW}, or set NODE_ENV=development on a developer's machine.`,
        );
      }
    },
  );

  it.each(['production', 'prod', undefined])('refuses the public development key when NODE_ENV is %p', (nodeEnv) => {
    const env = { SECRET_KEY: DEVELOPMENT_SECRET_KEY, ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) };
    expect(() => loadSigningKey(env, logger())).toThrow(
      `SECRET_KEY is the sample's public development key (NODE_ENV=${nodeEnv ?? '(unset)'} is not development). ${HOW}.`,
    );
  });

  it.each(['production', 'development'])('refuses a SECRET_KEY shorter than 256 bits (NODE_ENV=%s)', (nodeEnv) => {
    for (const secret of ['a'.repeat(31), 'é'.repeat(15) + 'a']) {
      expect(() => loadSigningKey({ NODE_ENV: nodeEnv, SECRET_KEY: secret }, logger())).toThrow(
        `SECRET_KEY must be at least 32 bytes (256 bits) for HS256. ${HOW}.`,
      );
    }
    expect(loadSigningKey({ NODE_ENV: nodeEnv, SECRET_KEY: 'é'.repeat(16) }, logger()).type).toBe('secret'); // 32 bytes
  });

  it.each(['production', 'development'])('refuses a SECRET_KEY of only whitespace, however long (NODE_ENV=%s)', (nodeEnv) => {
    for (const secret of [' '.repeat(40), '\t\n '.repeat(20), '\u00a0'.repeat(40)]) {
      expect(() => loadSigningKey({ NODE_ENV: nodeEnv, SECRET_KEY: secret }, logger())).toThrow(`SECRET_KEY is only whitespace. ${HOW}.`);
    }
  });
});

describe('sample: password hashes', () => {
  const hasher = new PasswordHasher();
  /** `$argon2id$v=19$m=65536,t=3,p=4$...` -> its parameters. */
  const paramsOf = (hash: string) => {
    const [, type, , params] = hash.split('$');
    const { m, t, p } = Object.fromEntries(params.split(',').map((pair) => pair.split('=').map((v, i) => (i ? Number(v) : v))));
    return { type, m, t, p };
  };
  const CHOSEN = { type: 'argon2id', m: ARGON2_OPTIONS.memoryCost, t: ARGON2_OPTIONS.timeCost, p: ARGON2_OPTIONS.parallelism };

  it("uses argon2id, 64 MiB, t=3 in one lane (one thread per verification), above OWASP's minimum (19 MiB, t=2, p=1)", () => {
    expect(CHOSEN).toEqual({ type: 'argon2id', m: 65536, t: 3, p: 1 });
    expect(CHOSEN.m).toBeGreaterThanOrEqual(19 * 1024);
    expect(CHOSEN.t).toBeGreaterThanOrEqual(2);
  });

  it('the stored hashes and the dummy hash were made with those parameters', () => {
    for (const hash of [...USERS.map((user) => user.passwordHash), DUMMY_HASH]) expect(paramsOf(hash)).toEqual(CHOSEN);
  });

  it('new hashes use them too, and verify', async () => {
    const hash = await hasher.hash('correct horse');
    expect(paramsOf(hash)).toEqual(CHOSEN);
    await expect(hasher.verify(hash, 'correct horse')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horsE')).resolves.toBe(false);
  });

  it("the sample users' passwords match their hashes; an unknown user matches nothing", async () => {
    const [johndoe, alice] = USERS;
    await expect(hasher.verify(johndoe.passwordHash, 'secret')).resolves.toBe(true);
    await expect(hasher.verify(alice.passwordHash, 'secretalice')).resolves.toBe(true);
    await expect(hasher.verify(alice.passwordHash, 'secret')).resolves.toBe(false);
    await expect(hasher.verify(undefined, 'secret')).resolves.toBe(false);
  });
});

describe('sample: login limits (LOGIN_CONCURRENCY, LOGIN_QUEUE)', () => {
  it('by default leaves a core for the other requests and a pool thread for the rest of libuv work', () => {
    expect(loginLimitsFrom({}, 2)).toEqual({ concurrency: 1, queue: 16 });
    expect(loginLimitsFrom({}, 1)).toEqual({ concurrency: 1, queue: 16 });
    expect(loginLimitsFrom({}, 8)).toEqual({ concurrency: 3, queue: 48 }); // libuv's 4 threads, minus one
    expect(loginLimitsFrom({ UV_THREADPOOL_SIZE: '16' }, 8)).toEqual({ concurrency: 7, queue: 112 });
  });

  it('reads LOGIN_CONCURRENCY and LOGIN_QUEUE, and refuses nonsense', () => {
    expect(loginLimitsFrom({ LOGIN_CONCURRENCY: '2', LOGIN_QUEUE: '0' }, 2)).toEqual({ concurrency: 2, queue: 0 });
    expect(() => loginLimitsFrom({ LOGIN_CONCURRENCY: '0' })).toThrow('LOGIN_CONCURRENCY must be an integer >= 1, got "0".');
    expect(() => loginLimitsFrom({ LOGIN_QUEUE: 'many' })).toThrow('LOGIN_QUEUE must be an integer >= 0, got "many".');
  });
});

describe('sample: server timeouts', () => {
  it('defaults to 30 s per request, 10 s for headers, 5 s keep-alive', () => {
    expect(serverTimeoutsFrom({})).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 });
  });

  it('refuses a headers timeout above the request timeout, and nonsense', () => {
    expect(() => serverTimeoutsFrom({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' })).toThrow(
      'HEADERS_TIMEOUT_MS (2000) must not exceed REQUEST_TIMEOUT_MS (1000).',
    );
    expect(() => serverTimeoutsFrom({ REQUEST_TIMEOUT_MS: '30s' })).toThrow('REQUEST_TIMEOUT_MS must be a whole number of milliseconds >= 1, got "30s".');
  });
});
