import type { Logger } from '@nestjs/common';
import { loadSigningKey } from '../../sample/auth/signing-key';
import { serverTimeoutsFrom } from '../../sample/server-timeouts';
import { loginLimitsFrom } from '../../sample/users/login-limits';
import { ARGON2_OPTIONS, DUMMY_HASH, PasswordHasher } from '../../sample/users/password-hasher';
import { USERS } from '../../sample/users/users.data';

describe('sample: signing key (SECRET_KEY)', () => {
  const logger = () => ({ warn: jest.fn() }) as unknown as Logger & { warn: jest.Mock };

  it('builds a secret KeyObject from SECRET_KEY, without a warning', () => {
    const log = logger();
    const secret = 'a'.repeat(32);
    const key = loadSigningKey({ SECRET_KEY: secret }, log);
    expect(key.type).toBe('secret');
    expect(key.export()).toEqual(Buffer.from(secret));
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('falls back to the development key with a clear warning', () => {
    const log = logger();
    const key = loadSigningKey({}, log);
    expect(key.type).toBe('secret');
    expect(key.symmetricKeySize).toBeGreaterThanOrEqual(32);
    expect(log.warn).toHaveBeenCalledWith(
      'SECRET_KEY is not set: tokens are signed with the public development key, so anyone can forge them. ' +
        'Set SECRET_KEY (e.g. `export SECRET_KEY=$(openssl rand -hex 32)`) before deploying.',
    );
  });

  it('refuses to start in production without SECRET_KEY', () => {
    expect(() => loadSigningKey({ NODE_ENV: 'production' }, logger())).toThrow(
      'SECRET_KEY is not set. Set it to a random value of at least 32 bytes, e.g. `openssl rand -hex 32`.',
    );
  });

  it('refuses a SECRET_KEY shorter than 256 bits', () => {
    expect(() => loadSigningKey({ SECRET_KEY: 'a'.repeat(31) }, logger())).toThrow(
      'SECRET_KEY must be at least 32 bytes (256 bits) for HS256, e.g. `openssl rand -hex 32`.',
    );
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
