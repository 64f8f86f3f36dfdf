import { VerifiedTokenCache } from 'nestjs-security-schemes';

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

  it('drops the oldest entry beyond max', () => {
    const cache = new VerifiedTokenCache<number>({ max: 2 });
    cache.set('a', 1, seconds(60_000));
    cache.set('b', 2, seconds(60_000));
    cache.set('c', 3, seconds(60_000));
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
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
