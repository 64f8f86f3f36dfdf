import { VerifiedTokenCache } from 'nestjs-security-schemes';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A real garbage collection, with or without `node --expose-gc`. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('VerifiedTokenCache', () => {
  const now = 1_800_000_000_000;
  beforeEach(() => jest.useFakeTimers({ now }));
  afterEach(() => jest.useRealTimers());
  const seconds = (ms: number) => (now + ms) / 1000;

  it('returns a value until the token expires, never after', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('t', 'claims', seconds(10_000));
    expect(cache.get('t')).toBe('claims');
    jest.setSystemTime(now + 9_999);
    expect(cache.get('t')).toBe('claims');
    jest.setSystemTime(now + 10_000);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps an entry no longer than maxAgeSeconds', () => {
    const cache = new VerifiedTokenCache<string>({ maxAgeSeconds: 5 });
    cache.set('t', 'claims', seconds(3_600_000));
    jest.setSystemTime(now + 5_000);
    expect(cache.get('t')).toBeUndefined();
  });

  it('does not keep a token that has already expired', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('t', 'claims', seconds(0));
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used entry beyond max', () => {
    const cache = new VerifiedTokenCache<number>({ max: 2 });
    cache.set('a', 1, seconds(60_000));
    cache.set('b', 2, seconds(60_000));
    cache.set('c', 3, seconds(60_000));
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('keeps a token that is read often: a hit makes it the most recent entry', () => {
    const cache = new VerifiedTokenCache<string>({ max: 3 });
    cache.set('hot', 'h', seconds(60_000));
    cache.set('b', 'b', seconds(60_000));
    cache.set('c', 'c', seconds(60_000));
    expect(cache.get('hot')).toBe('h'); // recency now: b, c, hot
    cache.set('d', 'd', seconds(60_000)); // drops b
    expect(cache.get('b')).toBeUndefined();
    cache.set('e', 'e', seconds(60_000)); // drops c
    expect([cache.get('hot'), cache.get('c'), cache.get('d'), cache.get('e')]).toEqual(['h', undefined, 'd', 'e']);
    expect(cache.size).toBe(3);
  });

  it('setting a cached token again makes it the most recent entry with the new value', () => {
    const cache = new VerifiedTokenCache<number>({ max: 2 });
    cache.set('a', 1, seconds(60_000));
    cache.set('b', 2, seconds(60_000));
    cache.set('a', 10, seconds(60_000));
    cache.set('c', 3, seconds(60_000)); // drops b, the least recent
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, undefined, 3]);
  });

  it('a hit never extends an entry past exp', () => {
    const cache = new VerifiedTokenCache<string>({ max: 2 });
    cache.set('t', 'claims', seconds(1_000));
    jest.setSystemTime(now + 999);
    expect(cache.get('t')).toBe('claims');
    jest.setSystemTime(now + 1_000);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('uses memory per entry that does not grow with the token size', () => {
    jest.useRealTimers();
    const entries = 10_000;
    const tokenBytes = 16 * 1024;
    const cache = new VerifiedTokenCache<{ sub: string }>({ max: entries });
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < entries; i++) {
      const token = String(i).padStart(tokenBytes, 'x'); // a flat 16 KB string, garbage once set
      cache.set(token, { sub: 'u' }, Date.now() / 1000 + 60);
    }
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    expect(cache.size).toBe(entries);
    expect(cache.get(String(entries - 1).padStart(tokenBytes, 'x'))).toEqual({ sub: 'u' });
    // Keeping the tokens would take 160 MB; a digest key and an entry take a few hundred bytes.
    expect(grown / entries).toBeLessThan(1024);
  });

  it('matches the exact token string only', () => {
    const cache = new VerifiedTokenCache<number>();
    cache.set('abc', 1, seconds(60_000));
    expect([cache.get('abc '), cache.get('ABC'), cache.get('ab')]).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a bad configuration', () => {
    expect(() => new VerifiedTokenCache({ max: 0 })).toThrow('VerifiedTokenCache: max must be a positive integer.');
    expect(() => new VerifiedTokenCache({ maxAgeSeconds: 0 })).toThrow('VerifiedTokenCache: maxAgeSeconds must be positive.');
  });
});
