import { InMemoryRevocationStore, revokedTokenError, assertNotRevoked } from 'nestjs-security-schemes';

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
