import type { INestApplicationContext } from '@nestjs/common';
import type { Claims } from '../core/claim-checks.js';
import { grant, type Grant } from '../core/grant.js';
import { HTTPAuthorizationCredentials, HTTPBasicCredentials } from '../schemes/models.js';
import { APIKeyCookie, APIKeyHeader, APIKeyQuery } from '../schemes/api-key.js';
import { HTTPBase, HTTPBasic } from '../schemes/http.js';
import { OAuth2 } from '../schemes/oauth2.js';
import { OpenIdConnect } from '../schemes/open-id-connect.js';
import type { SecurityScheme } from '../schemes/security-scheme.js';
import type { SecurityValidator } from '../core/security-options.interface.js';
import { SecurityRegistry } from '../core/registry/security.registry.js';

// The testing kit: in an e2e test, replace the validator of a scheme with one that knows a few test
// credentials, each standing for a principal with its scopes and claims. Everything else stays real: the
// global guard, the scheme's extraction and 401 challenge, the routes' scope, claim and step-up checks.
// It works whatever the validator was (a provider class, an instance such as `new JwtValidator(...)`,
// one built in a `forRootAsync` factory), as it replaces the validator where the module keeps it.

/** Who a test credential authenticates as. */
export interface TestIdentity<TPrincipal = unknown> {
  /** The principal (`@CurrentUser()`); must not be falsy (that is a refusal). */
  principal: TPrincipal;
  /** The scopes granted with this credential (checked against the route's, as a token's would be). */
  scopes?: readonly string[];
  /** The verified claims (claim checks, step-up `acr`/`auth_time`, `@CurrentClaims()`). */
  claims?: Claims;
}

/** By scheme name (`schemeName`), the test credentials that scheme accepts and who each one is. */
export type TestIdentities = Record<string, Record<string, TestIdentity>>;

/** What a request sends to authenticate: headers, and query parameters for `APIKeyQuery` schemes. */
export interface TestRequestCredentials {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/** A test credential is sent as is in headers, cookies and query strings: these characters need no escaping there. */
const TEST_CREDENTIAL = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * Replaces the validators of the named schemes in `app` (a compiled `TestingModule`, or the application)
 * with test validators: a request whose credential for that scheme is one of the given names is granted
 * that identity (`grant(principal, { scopes, claims })`); any other credential is refused with the scheme's
 * 401. Call it after `compile()`, before or after `init()`. Schemes not named keep their validators.
 * Returns a helper that builds the credentials of a test identity for a request.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
 * const login = fakeValidators(moduleRef, {
 *   OAuth2PasswordBearer: { ann: { principal: { id: 1 }, scopes: ['me'], claims: { acr: 'urn:mfa' } } },
 * });
 * // ... createNestApplication(), init(), then:
 * request(server).get('/users/me').set(login.headers('OAuth2PasswordBearer', 'ann')); // Authorization: Bearer ann
 * ```
 * Refuses to run when `NODE_ENV` is `production`.
 */
export function fakeValidators(app: INestApplicationContext, identities: TestIdentities): TestCredentials {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('fakeValidators() replaces security validators for tests; it refuses to run with NODE_ENV=production.');
  }
  if (typeof identities !== 'object' || identities === null) {
    throw new Error('fakeValidators(app, identities): identities must be an object { [schemeName]: { [credential]: { principal, scopes, claims } } }.');
  }
  const registry = app.get(SecurityRegistry, { strict: false });
  const registered = new Set(registry.schemes().map((scheme) => scheme.schemeName));
  const validators: [string, SecurityValidator][] = [];
  for (const [schemeName, byCredential] of Object.entries(identities)) {
    if (!registered.has(schemeName)) {
      throw new Error(`fakeValidators: no scheme is registered as "${schemeName}"; registered: ${[...registered].join(', ') || '(none)'}.`);
    }
    validators.push([schemeName, new TestValidator(schemeName, checkedIdentities(schemeName, byCredential))]);
  }
  for (const [schemeName, validator] of validators) registry.replaceValidator(schemeName, validator);
  return new TestCredentials(registry);
}

function checkedIdentities(schemeName: string, byCredential: Record<string, TestIdentity>): Map<string, TestIdentity> {
  if (typeof byCredential !== 'object' || byCredential === null) {
    throw new Error(`fakeValidators: the identities of "${schemeName}" must be an object { [credential]: { principal, scopes, claims } }.`);
  }
  const checked = new Map<string, TestIdentity>();
  for (const [credential, identity] of Object.entries(byCredential)) {
    const where = `fakeValidators: "${schemeName}" credential "${credential}"`;
    if (!TEST_CREDENTIAL.test(credential)) {
      throw new Error(`${where}: use letters, digits and . _ ~ + / = - only (it is sent in headers, cookies and query strings).`);
    }
    if (!identity || !identity.principal) {
      throw new Error(`${where}: principal must not be falsy (a falsy principal is a refusal; send an unknown credential to test one).`);
    }
    grant(identity.principal, { scopes: identity.scopes, claims: identity.claims }); // checks scopes and claims now
    checked.set(credential, identity);
  }
  return checked;
}

/** Grants the identity of a known test credential; refuses anything else. */
class TestValidator implements SecurityValidator {
  constructor(
    readonly schemeName: string,
    private readonly identities: ReadonlyMap<string, TestIdentity>,
  ) {}

  validate(credentials: unknown): Grant | null {
    const identity = this.identityOf(credentials);
    return identity ? grant(identity.principal, { scopes: identity.scopes, claims: identity.claims }) : null;
  }

  /**
   * The credential as the scheme extracted it: a string (API keys, OAuth2 bearer tokens), the credentials of
   * `Authorization: <scheme> <credentials>` (HTTP schemes), a Basic user name (any password), or the part after
   * the auth-scheme of a raw `Authorization` header (generic `OAuth2`, `OpenIdConnect`).
   */
  private identityOf(credentials: unknown): TestIdentity | undefined {
    if (credentials instanceof HTTPAuthorizationCredentials) return this.identities.get(credentials.credentials);
    if (credentials instanceof HTTPBasicCredentials) return this.identities.get(credentials.username);
    if (typeof credentials !== 'string') return undefined;
    const exact = this.identities.get(credentials);
    if (exact) return exact;
    const raw = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ +(\S+)$/.exec(credentials);
    return raw ? this.identities.get(raw[1]) : undefined;
  }
}

/** Builds what a request sends to authenticate as a test identity, for each registered scheme. */
export class TestCredentials {
  constructor(private readonly registry: SecurityRegistry) {}

  /** Headers and query parameters carrying `credential` for `scheme` (the instance or its name). */
  credentials(scheme: SecurityScheme | string, credential: string): TestRequestCredentials {
    const registered = this.schemeOf(scheme);
    if (!TEST_CREDENTIAL.test(credential)) throw new Error(`TestCredentials: "${credential}" is not a test credential.`);
    const sent = (headers: Record<string, string>, query: Record<string, string> = {}) => ({ headers, query });
    if (registered instanceof APIKeyHeader) return sent({ [registered.name]: credential });
    if (registered instanceof APIKeyCookie) return sent({ Cookie: `${registered.name}=${credential}` });
    if (registered instanceof APIKeyQuery) return sent({}, { [registered.name]: credential });
    if (registered instanceof HTTPBasic) return sent({ Authorization: `Basic ${Buffer.from(`${credential}:`, 'utf8').toString('base64')}` });
    if (registered instanceof HTTPBase) return sent({ Authorization: `${registered.scheme[0].toUpperCase()}${registered.scheme.slice(1)} ${credential}` });
    if (registered instanceof OAuth2 || registered instanceof OpenIdConnect) return sent({ Authorization: `Bearer ${credential}` });
    throw new Error(
      `TestCredentials: scheme "${registered.schemeName}" (${registered.constructor.name}) is not one of the library's schemes, so where it ` +
        'reads credentials is unknown: send the credential yourself (the test validator reads a string, { credentials } or { username }).',
    );
  }

  /** The headers carrying `credential` for `scheme`; for an `APIKeyQuery` scheme use `credentials()`. */
  headers(scheme: SecurityScheme | string, credential: string): Record<string, string> {
    const { headers, query } = this.credentials(scheme, credential);
    if (Object.keys(query).length > 0) {
      throw new Error(`TestCredentials: scheme "${this.schemeOf(scheme).schemeName}" reads a query parameter; use credentials(), which gives { headers, query }.`);
    }
    return headers;
  }

  private schemeOf(scheme: SecurityScheme | string): SecurityScheme {
    const name = typeof scheme === 'string' ? scheme : scheme?.schemeName;
    const registered = this.registry.schemes().find((candidate) => candidate.schemeName === name);
    if (!registered) throw new Error(`TestCredentials: no scheme is registered as "${String(name)}".`);
    return registered;
  }
}
