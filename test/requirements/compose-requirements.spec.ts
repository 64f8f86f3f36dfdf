import { composeRequirements, documentedSecurity, MAX_ALTERNATIVES, type RequirementLevel } from 'nestjs-security-schemes';

// The pure composition rule, driven directly: declarations in, normal form and OpenAPI list out.

type Entry = { scheme: string; scopes?: string[]; optional?: boolean };
const level = (...alternatives: Entry[][]): RequirementLevel<string> => ({
  alternatives: alternatives.map((alternative) =>
    alternative.map(({ scheme, scopes = [], optional = false }) => ({ scheme, scopes, optional })),
  ),
  skip: false,
});
const skip = (...alternatives: Entry[][]): RequirementLevel<string> => ({ ...level(...alternatives), skip: true });
const compose = (...levels: RequirementLevel<string>[]) => composeRequirements(levels, (name) => name, 'Route.handler');
const documented = (...levels: RequirementLevel<string>[]) => documentedSecurity(compose(...levels), (name) => name);

describe('composeRequirements', () => {
  it('is empty when nothing is declared', () => {
    expect(compose()).toEqual([]);
    expect(compose(level(), level())).toEqual([]);
  });

  it('combines levels with AND and keeps the alternatives of one level (OR)', () => {
    expect(documented(level([{ scheme: 'bearer' }]), level([{ scheme: 'key' }]))).toEqual([{ bearer: [], key: [] }]);
    expect(documented(level([{ scheme: 'bearer' }], [{ scheme: 'key' }]))).toEqual([{ bearer: [] }, { key: [] }]);
  });

  it('builds the product of the levels, the outer level varying slowest', () => {
    expect(documented(level([{ scheme: 'a' }], [{ scheme: 'b' }]), level([{ scheme: 'c' }], [{ scheme: 'd' }]))).toEqual([
      { a: [], c: [] },
      { a: [], d: [] },
      { b: [], c: [] },
      { b: [], d: [] },
    ]);
  });

  it('unions the scopes of one scheme inside one term, in declaration order', () => {
    expect(documented(level([{ scheme: 'oauth2', scopes: ['me'] }]), level([{ scheme: 'oauth2', scopes: ['items', 'me'] }]))).toEqual([
      { oauth2: ['me', 'items'] },
    ]);
  });

  it('never merges scopes across alternatives: admins or support staff', () => {
    expect(documented(level([{ scheme: 'oauth2', scopes: ['admin'] }], [{ scheme: 'oauth2', scopes: ['support'] }]))).toEqual([
      { oauth2: ['admin'] },
      { oauth2: ['support'] },
    ]);
  });

  it('merges per term of the product: (items+me AND key) OR (items AND key)', () => {
    const controller = level([{ scheme: 'oauth2', scopes: ['items'] }, { scheme: 'key' }]);
    const handler = level([{ scheme: 'oauth2', scopes: ['me'] }], [{ scheme: 'oauth2', scopes: ['items'] }]);
    expect(documented(controller, handler)).toEqual([{ oauth2: ['items', 'me'], key: [] }, { oauth2: ['items'], key: [] }]);
  });

  it('drops exact duplicates, whatever the order of schemes and scopes', () => {
    expect(
      documented(
        level([{ scheme: 'a', scopes: ['x', 'y'] }, { scheme: 'b' }], [{ scheme: 'b' }, { scheme: 'a', scopes: ['y', 'x'] }]),
      ),
    ).toEqual([{ a: ['x', 'y'], b: [] }]);
  });

  it('lets @SkipSecurity() drop every level before it, and keeps its own', () => {
    expect(documented(level([{ scheme: 'a' }]), level([{ scheme: 'b' }]), skip([{ scheme: 'c' }]), level([{ scheme: 'd' }]))).toEqual([
      { c: [], d: [] },
    ]);
    expect(compose(level([{ scheme: 'a' }]), skip())).toEqual([]);
  });

  it('keeps an entry optional only when every declaration of it in the term is optional', () => {
    expect(compose(level([{ scheme: 'a', optional: true }]), level([{ scheme: 'a' }]))).toEqual([
      [{ scheme: 'a', scopes: [], optional: false }],
    ]);
    expect(compose(level([{ scheme: 'a', optional: true }]), level([{ scheme: 'a', optional: true, scopes: ['s'] }]))).toEqual([
      [{ scheme: 'a', scopes: ['s'], optional: true }],
    ]);
  });

  it('documents optional entries as the ways they can be sent, and {} once, last, when nothing may be sent', () => {
    expect(documented(level([{ scheme: 'a', optional: true }]))).toEqual([{ a: [] }, {}]);
    expect(documented(level([{ scheme: 'a', optional: true }], [{ scheme: 'b' }]))).toEqual([{ a: [] }, { b: [] }, {}]);
    expect(documented(level([{ scheme: 'key' }, { scheme: 'bearer', optional: true }]))).toEqual([{ key: [], bearer: [] }, { key: [] }]);
    expect(documented(level([{ scheme: 'a', optional: true }, { scheme: 'b', optional: true }]))).toEqual([
      { a: [], b: [] },
      { a: [] },
      { b: [] },
      {},
    ]);
  });

  it(`fails when a route would exceed ${MAX_ALTERNATIVES} alternatives, naming it`, () => {
    const six = level(...['a', 'b', 'c', 'd', 'e', 'f'].map((scheme) => [{ scheme }]));
    expect(() => compose(six, six)).not.toThrow(); // 21 distinct terms: a+a is just a
    expect(() => compose(six, six, six)).toThrow(
      /^Route\.handler: its security requirement combines into \d+ alternatives, more than 32\./,
    );
  });
});
