import * as fc from 'fast-check';
import { BoundedMap } from '../../lib/tokens/bounded-map';

// The bounded map behind the verified-token cache, the DPoP key cache and the issuer caches: checked against
// a plain model of a least-recently-used map with expiries, for random sequences of operations.

type Op =
  | { kind: 'set'; key: number; value: number; expired: boolean }
  | { kind: 'get'; key: number }
  | { kind: 'delete'; key: number }
  | { kind: 'clear' };

/** The model: entries in recency order, least recently used first. */
class ModelLru {
  entries: { key: number; value: number; expired: boolean }[] = [];
  constructor(private readonly max: number) {}

  get(key: number): number | undefined {
    const index = this.entries.findIndex((entry) => entry.key === key);
    if (index < 0) return undefined;
    const [entry] = this.entries.splice(index, 1);
    if (entry.expired) return undefined;
    this.entries.push(entry);
    return entry.value;
  }

  set(key: number, value: number, expired: boolean): void {
    const index = this.entries.findIndex((entry) => entry.key === key);
    if (index >= 0) this.entries.splice(index, 1);
    else if (this.entries.length >= this.max) this.entries.shift();
    this.entries.push({ key, value, expired });
  }

  delete(key: number): void {
    this.entries = this.entries.filter((entry) => entry.key !== key);
  }
}

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 9 }), value: fc.integer(), expired: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('BoundedMap', () => {
  it('behaves as a least-recently-used map with expiries, for any sequence of operations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const map = new BoundedMap<number, number>(max);
        const model = new ModelLru(max);
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, o.value, o.expired ? 0 : Number.POSITIVE_INFINITY);
            model.set(o.key, o.value, o.expired);
          } else if (o.kind === 'get') {
            expect(map.get(o.key)).toBe(model.get(o.key));
          } else if (o.kind === 'delete') {
            map.delete(o.key);
            model.delete(o.key);
          } else {
            map.clear();
            model.entries = [];
          }
          expect(map.size).toBe(model.entries.length);
        }
        // Every key the model holds unexpired is there, with its value.
        for (const entry of [...model.entries]) if (!entry.expired) expect(map.get(entry.key)).toBe(model.get(entry.key));
      }),
      { numRuns: 2000 },
    );
  });

  it('evicts the least recently used entry, a hit counting as a use', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // b is now the least recently used
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
  });

  it('forgets an entry after its time (ttl, or the time given to set)', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const map = new BoundedMap<string, number>(10, 1000);
      map.set('ttl', 1);
      map.set('until', 2, Date.now() + 5000);
      jest.setSystemTime(1_000_999);
      expect([map.get('ttl'), map.get('until')]).toEqual([1, 2]);
      jest.setSystemTime(1_001_000);
      expect([map.get('ttl'), map.get('until'), map.size]).toEqual([undefined, 2, 1]);
    } finally {
      jest.useRealTimers();
    }
  });
});
