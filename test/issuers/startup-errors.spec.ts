import { IntrospectionValidator, MultiIssuerValidator } from 'nestjs-security-schemes';

const SECRET = 'a-local-secret-of-at-least-32-bytes-for-hs256!';

describe('MultiIssuerValidator and IntrospectionValidator: configuration errors at start-up', () => {
  it.each([
    [{}, 'MultiIssuerValidator: give "issuers" (a list of trusted issuers) or "resolveIssuer" (a function of the iss), or both.'],
    [{ issuers: [{ issuer: '' }] }, 'MultiIssuerValidator: issuers[0].issuer must be a non-empty string.'],
    [
      { issuers: [{ issuer: 'https://a.test' }] },
      'MultiIssuerValidator: issuers[0] (https://a.test): give "algorithms" (JWTs verified with the issuer\'s keys) or "introspection" (opaque tokens), or both.',
    ],
    [
      { issuers: [{ issuer: 'https://a.test', key: SECRET, algorithms: ['HS256'] }, { issuer: 'https://a.test', key: SECRET, algorithms: ['HS256'] }] },
      'MultiIssuerValidator: issuers[1]: the issuer "https://a.test" is listed twice.',
    ],
    [
      { issuers: [{ issuer: 'https://a.test', algorithms: ['RS256'] }] },
      'MultiIssuerValidator: issuers[0] (https://a.test): "audience" is required when keys come from an identity provider: it signs tokens for other APIs too.',
    ],
    [
      {
        issuers: [
          { issuer: 'https://a.test', introspection: { clientId: 'api', clientSecret: 's' } },
          { issuer: 'https://b.test', introspection: { clientId: 'api', clientSecret: 's' } },
        ],
      },
      'MultiIssuerValidator: several issuers have "introspection" (https://a.test, https://b.test); an opaque token names no issuer and is never sent to several: set opaqueTokenIssuer.',
    ],
    [
      { issuers: [{ issuer: 'https://a.test', key: SECRET, algorithms: ['HS256'] }], opaqueTokenIssuer: 'https://a.test' },
      'MultiIssuerValidator: opaqueTokenIssuer "https://a.test" must be one of "issuers" with "introspection".',
    ],
    [
      { issuers: [{ issuer: 'https://a.test', introspection: { clientId: 'api', clientSecret: '' } }] },
      'MultiIssuerValidator: issuers[0] (https://a.test): clientSecret must be a non-empty string (the API authenticates to the introspection endpoint).',
    ],
  ])('%j', (options, message) => {
    expect(() => new MultiIssuerValidator(options as never)).toThrow(message);
  });

  it('accepts several introspecting issuers when opaqueTokenIssuer names one', () => {
    expect(
      () =>
        new MultiIssuerValidator({
          issuers: [
            { issuer: 'https://a.test', introspection: { clientId: 'api', clientSecret: 's' } },
            { issuer: 'https://b.test', introspection: { clientId: 'api', clientSecret: 's' } },
          ],
          opaqueTokenIssuer: 'https://b.test',
        }),
    ).not.toThrow();
  });

  it.each([
    [{ issuer: 'https://a.test', clientId: 'api' }, 'IntrospectionValidator: clientSecret must be a non-empty string'],
    [{ issuer: 'https://a.test', clientId: 'api', clientSecret: 's', clientAuthentication: 'private_key_jwt' }, "IntrospectionValidator: clientAuthentication must be 'client_secret_basic' or 'client_secret_post'."],
    [{ issuer: 'https://a.test', clientId: 'api', clientSecret: 's', endpoint: '/introspect' }, 'IntrospectionValidator: endpoint must be an absolute URL.'],
    [{ issuer: 'https://a.test', clientId: 'api', clientSecret: 's', cache: { maxAgeSeconds: 0 } }, 'IntrospectionValidator: cache.maxAgeSeconds must be positive (or cache: false).'],
  ])('%j', (options, message) => {
    expect(() => new IntrospectionValidator(options as never)).toThrow(message);
  });
});
