import { Controller, Get } from '@nestjs/common';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  CurrentUser,
  HTTPBearer,
  IntrospectionValidator,
  MultiIssuerValidator,
  CurrentClaims,
  Security,
  SecuritySchemesModule,
  type IssuedTokenClaims,
  type RefusalReason,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { API_AUDIENCE, OTHER_AUDIENCE, TestProvider } from '../oidc/provider';
import { forbidden, ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { RevokedIdsStore } from '../utils/revoked-ids-store';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
/** The documented cache time of active introspection answers, short for the test. */
const INTROSPECTION_CACHE_SECONDS = 2;
const RETRY_AFTER = 3;
const JWKS_COOLDOWN = 1;
/** A trusted issuer whose signing key the test holds (a tenant that could turn hostile). */
const TENANT = 'https://tenant-y.test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(PLATFORMS)('MultiIssuerValidator: a JWT issuer and an opaque-token issuer on one route (%s)', (platform) => {
  let jwtIssuer: TestProvider;
  let opaqueIssuer: TestProvider;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const revocations = new RevokedIdsStore();
  let validator: MultiIssuerValidator;
  const tenantKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const tenantJwk = { ...createPublicKey(tenantKey).export({ format: 'jwk' }), kid: 'tenant-y-key' };
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);
  const claimsFor = (iss: string, extra: Record<string, unknown> = {}) => ({ iss, aud: API_AUDIENCE, sub: 'mallory', scope: 'read', iat: now(), exp: now() + 60, ...extra });
  /** Requests served by both providers together. */
  const requestsAtProviders = async () => (await jwtIssuer.counts()).requests + (await opaqueIssuer.counts()).requests;
  const observe = async (path: string, token: string) => {
    reasons.length = 0;
    return { ...(await get(path, token)), reasons: [...reasons] };
  };

  beforeAll(async () => {
    [jwtIssuer, opaqueIssuer] = await Promise.all([TestProvider.start(), TestProvider.start([], { accessTokens: 'opaque' })]);
    const scheme = new HTTPBearer({ bearerFormat: 'JWT or opaque' });
    const users = new HTTPBearer({ schemeName: 'Users' });
    const opaqueOnly = new HTTPBearer({ schemeName: 'OpaqueOnly' });

    @Controller()
    class ApiController {
      @Security(scheme, ['read'])
      @Get('read')
      read(@CurrentUser() claims: IssuedTokenClaims) {
        return { iss: claims.iss, client: claims.client_id ?? claims.sub };
      }

      @Security(opaqueOnly, ['write'])
      @Get('opaque-only')
      opaque(@CurrentUser() user: { client: string }, @CurrentClaims('client_id') client: unknown) {
        return { ...user, recordedClient: client };
      }

      @Security(users, ['read'])
      @Get('user')
      user(@CurrentUser() user: { name: string }, @CurrentClaims() claims: { iss?: string }) {
        return { name: user.name, recordedIss: claims.iss };
      }
    }

    validator = new MultiIssuerValidator({
      issuers: [
        { issuer: jwtIssuer.issuer, audience: API_AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt', jwks: { cooldownSeconds: JWKS_COOLDOWN, timeoutMs: 1000 } },
        {
          issuer: opaqueIssuer.issuer,
          introspection: {
            clientId: 'api',
            clientSecret: 'api-secret',
            audience: API_AUDIENCE,
            cache: { maxAgeSeconds: INTROSPECTION_CACHE_SECONDS },
            inactiveCacheSeconds: 1,
            timeoutMs: 1000,
            retryAfterSeconds: RETRY_AFTER,
          },
        },
        { issuer: TENANT, key: tenantJwk, audience: API_AUDIENCE, algorithms: ['RS256'] },
      ],
    });
    const withUsers = new MultiIssuerValidator({
      issuers: [
        { issuer: jwtIssuer.issuer, audience: API_AUDIENCE, algorithms: ['RS256'] },
        { issuer: opaqueIssuer.issuer, introspection: { clientId: 'api', clientSecret: 'api-secret', clientAuthentication: 'client_secret_post' } },
      ],
      toPrincipal: (claims) => ({ name: `user of ${String(claims.client_id)}` }),
    });
    const introspection = new IntrospectionValidator({
      issuer: opaqueIssuer.issuer,
      clientId: 'api',
      clientSecret: 'api-secret',
      audience: API_AUDIENCE,
      toPrincipal: (claims) => ({ client: String(claims.client_id) }),
      revocation: revocations,
    });
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme, validator },
            { scheme: users, validator: withUsers },
            { scheme: opaqueOnly, validator: introspection },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [ApiController],
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([jwtIssuer?.stop(), opaqueIssuer?.stop()]);
  });

  it('accepts a JWT of one issuer and an opaque token of the other on the same route', async () => {
    expect(await get('/read', await jwtIssuer.clientCredentialsToken())).toEqual(ok({ iss: jwtIssuer.issuer, client: 'machine' }));
    expect(await get('/read', await opaqueIssuer.clientCredentialsToken())).toEqual(ok({ iss: opaqueIssuer.issuer, client: 'machine' }));
  });

  it('reads the scopes of both kinds: 403 insufficient_scope when missing', async () => {
    const scheme = 'read';
    expect(await get('/read', await jwtIssuer.clientCredentialsToken('machine', 'write'))).toEqual(forbidden(scheme));
    expect(await get('/read', await opaqueIssuer.clientCredentialsToken('machine', 'write'))).toEqual(forbidden(scheme));
  });

  it('records the verified claims behind a user made by toPrincipal (JWT and introspection; client_secret_post)', async () => {
    expect(await get('/user', await jwtIssuer.clientCredentialsToken())).toEqual(ok({ name: 'user of machine', recordedIss: jwtIssuer.issuer }));
    expect(await get('/user', await opaqueIssuer.clientCredentialsToken())).toEqual(ok({ name: 'user of machine', recordedIss: opaqueIssuer.issuer }));
  });

  it('refuses an untrusted issuer with 401 and no request to anyone', async () => {
    const before = await requestsAtProviders();
    for (const iss of ['https://untrusted.test', `${jwtIssuer.issuer}/`, jwtIssuer.issuer.toUpperCase()]) {
      expect(await observe('/read', craftJws({ alg: 'RS256', typ: 'at+jwt', kid: 'x' }, claimsFor(iss), tenantKey))).toEqual({ ...REFUSED, reasons: ['issuer_untrusted'] });
    }
    expect(await observe('/read', craftJws({ alg: 'RS256', typ: 'at+jwt', kid: 'x' }, { ...claimsFor(''), iss: undefined }, tenantKey))).toEqual({
      ...REFUSED,
      reasons: ['issuer_untrusted'],
    });
    expect(await requestsAtProviders()).toBe(before);
  });

  it("refuses a token that claims one issuer but is signed with another trusted issuer's key", async () => {
    // The tenant's own token is accepted: its key is trusted for its own iss.
    expect(await get('/read', craftJws({ alg: 'RS256', kid: tenantJwk.kid }, claimsFor(TENANT), tenantKey))).toEqual(ok({ iss: TENANT, client: 'mallory' }));
    const [providerKey] = (await jwtIssuer.jwks()).keys;
    await sleep(JWKS_COOLDOWN * 1000 + 100);
    // Claims the provider, names the tenant's kid: the provider's key set has no such key.
    expect(await observe('/read', craftJws({ alg: 'RS256', typ: 'at+jwt', kid: tenantJwk.kid }, claimsFor(jwtIssuer.issuer), tenantKey))).toEqual({
      ...REFUSED,
      reasons: ['unknown_key'],
    });
    // Claims the provider, names the provider's kid, signed by the tenant: the signature does not verify.
    expect(await observe('/read', craftJws({ alg: 'RS256', typ: 'at+jwt', kid: providerKey.kid }, claimsFor(jwtIssuer.issuer), tenantKey))).toEqual({
      ...REFUSED,
      reasons: ['signature_invalid'],
    });
    // Claims the opaque-token issuer (introspection only), signed by the tenant: introspected, and not known there.
    expect(await observe('/read', craftJws({ alg: 'RS256', kid: tenantJwk.kid }, claimsFor(opaqueIssuer.issuer), tenantKey))).toEqual({
      ...REFUSED,
      reasons: ['inactive'],
    });
  });

  it('names the reason of refused JWTs of a provider: expired, not yet valid, another audience', async () => {
    expect(await observe('/read', await jwtIssuer.clientCredentialsToken('machine-expired'))).toEqual({ ...REFUSED, reasons: ['expired'] });
    expect(await observe('/read', await jwtIssuer.clientCredentialsToken('machine-future'))).toEqual({ ...REFUSED, reasons: ['not_yet_valid'] });
    expect(await observe('/read', await jwtIssuer.clientCredentialsToken('machine', 'read', OTHER_AUDIENCE))).toEqual({ ...REFUSED, reasons: ['audience_mismatch'] });
  });

  it('refuses an opaque token for another audience (reason audience_mismatch), and a made-up one (inactive)', async () => {
    expect(await observe('/read', await opaqueIssuer.clientCredentialsToken('machine', 'read', OTHER_AUDIENCE))).toEqual({ ...REFUSED, reasons: ['audience_mismatch'] });
    expect(await observe('/read', 'made-up-opaque-token')).toEqual({ ...REFUSED, reasons: ['inactive'] });
  });

  it('introspects an opaque token once, then accepts it from the cache; revoked at the provider, it is refused once the cache time has passed', async () => {
    const token = await opaqueIssuer.clientCredentialsToken();
    const before = await opaqueIssuer.counts();
    expect(await get('/read', token)).toEqual(ok({ iss: opaqueIssuer.issuer, client: 'machine' }));
    expect(await get('/read', token)).toEqual(ok({ iss: opaqueIssuer.issuer, client: 'machine' }));
    expect((await opaqueIssuer.counts()).introspection).toBe(before.introspection + 1);

    await opaqueIssuer.revoke(token);
    // Within the documented cache time, the cached answer still stands.
    expect(await get('/read', token)).toEqual(ok({ iss: opaqueIssuer.issuer, client: 'machine' }));
    await sleep(INTROSPECTION_CACHE_SECONDS * 1000 + 200);
    expect(await observe('/read', token)).toEqual({ ...REFUSED, reasons: ['inactive'] });
    expect((await opaqueIssuer.counts()).introspection).toBe(before.introspection + 2);
  });

  it('shares one introspection call among 100 concurrent requests with the same new token', async () => {
    const token = await opaqueIssuer.clientCredentialsToken();
    const before = (await opaqueIssuer.counts()).introspection;
    const answers = await Promise.all(Array.from({ length: 100 }, () => get('/read', token)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(100);
    expect((await opaqueIssuer.counts()).introspection).toBe(before + 1);
  });

  it('IntrospectionValidator alone: endpoint from discovery, one call per new token, scopes, inactive tokens', async () => {
    const token = await opaqueIssuer.clientCredentialsToken();
    const before = (await opaqueIssuer.counts()).introspection;
    for (let i = 0; i < 3; i++) expect(await get('/opaque-only', token)).toEqual(ok({ client: 'machine', recordedClient: 'machine' }));
    expect((await opaqueIssuer.counts()).introspection).toBe(before + 1);
    expect(await get('/opaque-only', await opaqueIssuer.clientCredentialsToken('machine', 'read'))).toEqual(forbidden('write'));
    expect(await observe('/opaque-only', 'not-a-token-of-this-provider')).toEqual({ ...REFUSED, reasons: ['inactive'] });
  });

  it('IntrospectionValidator alone: a subject revoked in the application refuses its cached tokens (reason revoked)', async () => {
    const token = await opaqueIssuer.clientCredentialsToken();
    expect(await get('/opaque-only', token)).toEqual(ok({ client: 'machine', recordedClient: 'machine' }));
    await revocations.revokeSubject('owner-of-machine', Math.floor(Date.now() / 1000) + 1);
    try {
      expect(await observe('/opaque-only', token)).toEqual({ ...REFUSED, reasons: ['revoked'] });
    } finally {
      revocations.clear();
    }
    expect(await get('/opaque-only', token)).toEqual(ok({ client: 'machine', recordedClient: 'machine' }));
  });

  it('answers 503 with Retry-After when the introspection endpoint is down (never 500); JWTs of the other issuer still pass', async () => {
    const token = await opaqueIssuer.clientCredentialsToken();
    const jwt = await jwtIssuer.clientCredentialsToken();
    await opaqueIssuer.down();
    try {
      reasons.length = 0;
      const answer = await t.http.get('/read').set('Authorization', `Bearer ${token}`);
      expect({ status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'], challenge: answer.headers['www-authenticate'] }).toEqual({
        status: 503,
        body: { statusCode: 503, message: 'The identity provider is unreachable', error: 'Service Unavailable' },
        retryAfter: String(RETRY_AFTER),
        challenge: undefined,
      });
      expect(reasons).toEqual(['introspection_unavailable']);
      expect(await get('/read', jwt)).toEqual(ok({ iss: jwtIssuer.issuer, client: 'machine' }));
    } finally {
      await opaqueIssuer.up();
    }
    // A failed call is not cached: once the endpoint is back, the token passes.
    expect(await get('/read', token)).toEqual(ok({ iss: opaqueIssuer.issuer, client: 'machine' }));
  });

  it('forgets cached tokens signed by a key the JWT issuer removed from its key set', async () => {
    const oldToken = await jwtIssuer.clientCredentialsToken();
    expect(await get('/read', oldToken)).toEqual(ok({ iss: jwtIssuer.issuer, client: 'machine' }));
    await jwtIssuer.setKeys(['b']);
    await sleep(JWKS_COOLDOWN * 1000 + 100);
    // A token with a new kid makes the validator fetch the key set; the old key is gone from it.
    expect(await get('/read', await jwtIssuer.clientCredentialsToken())).toEqual(ok({ iss: jwtIssuer.issuer, client: 'machine' }));
    expect(await observe('/read', oldToken)).toEqual({ ...REFUSED, reasons: ['unknown_key'] });
  });

  it('answers 503 with Retry-After (key_set_unavailable) when a JWT needs a key and the JWT issuer is down', async () => {
    await jwtIssuer.down();
    try {
      await sleep(JWKS_COOLDOWN * 1000 + 100);
      const forged = craftJws({ alg: 'RS256', typ: 'at+jwt', kid: 'unknown-kid' }, claimsFor(jwtIssuer.issuer), tenantKey);
      reasons.length = 0;
      const answer = await t.http.get('/read').set('Authorization', `Bearer ${forged}`);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
      expect(reasons).toEqual(['key_set_unavailable']);
    } finally {
      await jwtIssuer.up();
    }
  });
});
