import fc from 'fast-check';
import { authorizationCredentials } from '../../lib/core/header-values';
import { parseAuthorization } from '../../lib/schemes/security-scheme';

// The schemes read `Authorization` in place (authorizationCredentials); it must give what splitting at the
// first space and lower-casing the scheme word gives, for every header Node can hand over (Latin-1 text).

function bySplitting(header: string | undefined, scheme: string): string | null {
  const parsed = parseAuthorization(header);
  return parsed !== null && parsed[0].toLowerCase() === scheme ? parsed[1] : null;
}

const SCHEMES = ['basic', 'bearer', 'digest', 'x-token.v2'];
const latin1 = fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code));
const near = (scheme: string) =>
  fc.tuple(
    fc.array(fc.boolean(), { minLength: scheme.length, maxLength: scheme.length }),
    fc.constantFrom('', ' ', '  ', '\t', 'x', ' \u00a0'),
    fc.string({ unit: latin1, maxLength: 12 }),
  ).map(([upper, separator, rest]) => [...scheme].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + separator + rest);

describe('authorizationCredentials', () => {
  it.each(SCHEMES)('agrees with splitting the header, scheme %s', (scheme) => {
    fc.assert(
      fc.property(fc.oneof(near(scheme), fc.string({ unit: latin1, maxLength: 20 })), (header) => {
        expect(authorizationCredentials(header, scheme)).toBe(bySplitting(header, scheme));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads nothing from a missing or repeated header', () => {
    expect(authorizationCredentials(undefined, 'basic')).toBeNull();
    expect(authorizationCredentials(['Basic a', 'Basic b'], 'basic')).toBeNull();
    expect(authorizationCredentials('', 'basic')).toBeNull();
  });

  it('matches the scheme word case-insensitively and trims the credentials', () => {
    expect(authorizationCredentials('BeArEr  abc \u00a0', 'bearer')).toBe('abc');
    expect(authorizationCredentials('Bearer', 'bearer')).toBe('');
    expect(authorizationCredentials('Bearerabc', 'bearer')).toBeNull();
    expect(authorizationCredentials('Bearer\tabc', 'bearer')).toBeNull();
    expect(authorizationCredentials('Basic abc', 'bearer')).toBeNull();
  });
});
