import { InMemoryRevocationStore, revokedTokenError, assertNotRevoked, REVOCATION_MAX_EXPIRES_AT } from 'nestjs-security-schemes';

const now = () => Date.now() / 1000;

describe('InMemoryRevocationStore', () => {
  let store: InMemoryRevocationStore;
  beforeEach(() => (store = new InMemoryRevocationStore()));
  afterEach(() => store.close());

  it('refuses nothing while empty', () => {
    expect(store.isRevoked({ jti: 'a', sid: 's', sub: 'alice', iat: 1 })).toBe(false);
    expect(store.isRevoked({})).toBe(false);
  });

  it('revokes one token by jti, not the others', async () => {
    await store.revokeToken('t-1', now() + 60);
    expect(store.isRevoked({ jti: 't-1', sub: 'alice' })).toBe(true);
    expect(store.isRevoked({ jti: 't-2', sub: 'alice' })).toBe(false);
    expect(store.isRevoked({ sub: 'alice' })).toBe(false);
  });

  it('revokes every token of a session', async () => {
    await store.revokeSession('family-1', now() + 60);
    expect(store.isRevoked({ jti: 'a', sid: 'family-1' })).toBe(true);
    expect(store.isRevoked({ jti: 'b', sid: 'family-1' })).toBe(true);
    expect(store.isRevoked({ jti: 'c', sid: 'family-2' })).toBe(false);
  });

  it('revokes the tokens of a subject issued at or before the cut-off, and those without iat', async () => {
    await store.revokeSubject('alice', 1000.5, now() + 60);
    expect(store.isRevoked({ sub: 'alice', iat: 999 })).toBe(true);
    expect(store.isRevoked({ sub: 'alice', iat: 1000 })).toBe(true); // whole second: may have been issued after 1000.5, refused
    expect(store.isRevoked({ sub: 'alice', iat: 1000.5 })).toBe(true);
    expect(store.isRevoked({ sub: 'alice', iat: 1000.6 })).toBe(false); // fractional iat: issued after the cut-off
    expect(store.isRevoked({ sub: 'alice', iat: 1001 })).toBe(false);
    expect(store.isRevoked({ sub: 'alice' })).toBe(true);
    expect(store.isRevoked({ sub: 'alice', iat: '2000' })).toBe(true);
    expect(store.isRevoked({ sub: 'bob', iat: 999 })).toBe(false);
  });

  it('keeps the latest cut-off of a subject', async () => {
    await store.revokeSubject('alice', 2000, now() + 60);
    await store.revokeSubject('alice', 1000, now() + 60);
    expect(store.isRevoked({ sub: 'alice', iat: 1500 })).toBe(true);
  });

  it('consumes a one-time id once, even when many calls race', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => store.consumeOnce('refresh-1', now() + 60)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await store.consumeOnce('refresh-2', now() + 60)).toBe(true);
  });

  it('with an attempt, answers the same attempt true once more (a retry whose first answer was lost), every other call false', async () => {
    expect(await store.consumeOnce('refresh-3', now() + 60, 'attempt-1')).toBe(true);
    expect(await store.consumeOnce('refresh-3', now() + 60, 'attempt-2')).toBe(false);
    expect(await store.consumeOnce('refresh-3', now() + 60)).toBe(false);
    expect(await store.consumeOnce('refresh-3', now() + 60, 'attempt-1')).toBe(true);
    expect(await store.consumeOnce('refresh-3', now() + 60, 'attempt-1')).toBe(false);
    // Consumed without an attempt: no retry for anyone.
    expect(await store.consumeOnce('refresh-4', now() + 60)).toBe(true);
    expect(await store.consumeOnce('refresh-4', now() + 60, 'attempt-1')).toBe(false);
    await expect(store.consumeOnce('refresh-5', now() + 60, '')).rejects.toThrow('attempt must be a non-empty string');
  });

  it(`clamps every expiry after 9999-12-31 (${REVOCATION_MAX_EXPIRES_AT}) to it; keeps a cut-off as given`, async () => {
    await store.revokeToken('huge', 1e18);
    await store.revokeSession('huge', Number.MAX_VALUE);
    await store.revokeSubject('huge', 1e18, 1e18);
    store.apply({ kind: 'token', id: 'from-redis', expiresAt: 1e30 });
    expect([...store.entries()]).toEqual([
      { kind: 'token', id: 'huge', expiresAt: REVOCATION_MAX_EXPIRES_AT },
      { kind: 'token', id: 'from-redis', expiresAt: REVOCATION_MAX_EXPIRES_AT },
      { kind: 'session', id: 'huge', expiresAt: REVOCATION_MAX_EXPIRES_AT },
      { kind: 'subject', id: 'huge', issuedBefore: 1e18, expiresAt: REVOCATION_MAX_EXPIRES_AT },
    ]);
    expect(store.isRevoked({ sub: 'huge', iat: 1e17 })).toBe(true);
    expect(await store.consumeOnce('huge', 1e18)).toBe(true);
    expect(await store.consumeOnce('huge', 1e18)).toBe(false);
    await expect(store.revokeToken('a', Number.POSITIVE_INFINITY)).rejects.toThrow('expiresAt must be a time in seconds');
  });

  it('drops entries whose time has passed, and only those', async () => {
    await store.revokeToken('old', now() - 1);
    await store.revokeSession('old-session', now() - 1);
    await store.revokeSubject('old-sub', 0, now() - 1);
    await store.consumeOnce('old-once', now() - 1);
    await store.revokeToken('live', now() + 60);
    expect(store.size).toBe(5);
    store.sweep();
    expect(store.size).toBe(1);
    expect(store.isRevoked({ jti: 'old' })).toBe(false);
    expect(store.isRevoked({ jti: 'live' })).toBe(true);
  });

  it('sweeps in the background, a bounded slice at a time, with no timer while empty', async () => {
    jest.useFakeTimers({ now: Date.now() });
    try {
      const fresh = new InMemoryRevocationStore();
      for (let i = 0; i < 50_000; i++) await fresh.revokeToken(`jti-${i}`, now() + 1.5);
      expect(fresh.size).toBe(50_000);
      jest.advanceTimersByTime(1000);
      expect(fresh.size).toBe(50_000);
      jest.advanceTimersByTime(1000); // expired: the next sweeps look at 10,000 entries each
      expect(fresh.size).toBe(40_000);
      jest.advanceTimersByTime(10_000);
      expect(fresh.size).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops a large expired population within about 30 s: a pass keeps its pace as entries leave, and speeds up as they arrive', () => {
    jest.useFakeTimers({ now: Date.now() });
    try {
      const fresh = new InMemoryRevocationStore();
      const expiresAt = now() + 0.5;
      for (let i = 0; i < 600_000; i++) fresh.apply({ kind: 'token', id: `jti-${i}`, expiresAt });
      jest.advanceTimersByTime(1000); // first sweep: all expired, 20,000 looked at (600,000 / 30)
      expect(fresh.size).toBe(580_000);
      jest.advanceTimersByTime(29_000);
      expect(fresh.size).toBe(0);
      // Entries that arrive during a pass (a reload from Redis) speed it up.
      fresh.apply({ kind: 'token', id: 'first', expiresAt: now() + 3600 });
      jest.advanceTimersByTime(1000); // a new pass, at the least pace
      for (let i = 0; i < 600_000; i++) fresh.apply({ kind: 'token', id: `late-${i}`, expiresAt: now() + 0.5 });
      jest.advanceTimersByTime(31_000);
      expect(fresh.size).toBe(1);
      fresh.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses bad arguments', async () => {
    await expect(store.revokeToken('', now())).rejects.toThrow('jti must be a non-empty string');
    await expect(store.revokeToken('a', Number.NaN)).rejects.toThrow('expiresAt must be a time in seconds');
    await expect(store.revokeSubject('alice', undefined as unknown as number, now())).rejects.toThrow('issuedBefore');
  });

  it('gives custom validators one call that throws the 401 of a revoked token', async () => {
    await store.revokeToken('t-1', now() + 60);
    expect(() => assertNotRevoked(store, { jti: 't-2' })).not.toThrow();
    let error: unknown;
    try {
      assertNotRevoked(store, { jti: 't-1' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ status: 401, reason: 'revoked', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    expect(revokedTokenError().getResponse()).toEqual({ statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' });
  });
});
