import { Controller, Get, Post } from '@nestjs/common';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  CurrentUser,
  HTTPBearer,
  IntrospectionValidator,
  JwtValidator,
  jwkThumbprint,
  MultiIssuerValidator,
  OAuth2ClientCredentialsBearer,
  OpenIdConnect,
  Security,
  SecuritySchemesModule,
  type RefusalReason,
} from 'nestjs-security-schemes';
import type { Response } from 'supertest';
import { craftJws, now } from '../jwt/craft';
import { API_AUDIENCE, TestProvider } from '../oidc/provider';
import { NOT_AUTHENTICATED, ok, outcome, type Outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { DPoPClient } from './dpop-client';

/** The host the tests' requests name (`Host`), so that the proofs' `htu` is known in advance. */
const HOST = 'api.test';
const ALGS = 'algs="ES256 PS256"';
const REFUSED_BODY = { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' };
const refused = (challenge: string): Outcome => ({ status: 401, body: REFUSED_BODY, challenge });
const INVALID_PROOF = refused(`DPoP error="invalid_dpop_proof", ${ALGS}`);
const INVALID_TOKEN = refused(`DPoP error="invalid_token", ${ALGS}`);
const NONCE_SECRET = randomBytes(32);

describe.each(PLATFORMS)('DPoP-bound tokens from a real OpenID provider (%s)', (platform) => {
  let provider: TestProvider;
  let opaqueProvider: TestProvider;
  let client: DPoPClient;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  /** A DPoP-bound JWT access token of `client`'s key, an unbound one, and a bound opaque token. */
  let bound: string;
  let unbound: string;
  let boundOpaque: string;

  /** A proof of the `client` key (or another) for a request to `path` on this API. */
  const proof = (path: string, token: string, claims: { htm?: string; htu?: string; iat?: number; nonce?: string; jti?: string } = {}, key = 'client') =>
    client.proof(key, { htm: 'GET', htu: `http://${HOST}${path}`, accessToken: token, ...claims });
  /** Sends `Authorization: <scheme> <token>` with the given DPoP header(s) to `path`. */
  const send = (path: string, authorization: string | undefined, dpop: string | string[] | undefined, method: 'get' | 'post' = 'get') => {
    let request = t.http[method](path).set('Host', HOST);
    if (authorization !== undefined) request = request.set('Authorization', authorization);
    if (dpop !== undefined) request = request.set('DPoP', dpop as string); // an array sends the header once per value
    return request;
  };
  const call = async (path: string, authorization: string | undefined, dpop?: string | string[], method: 'get' | 'post' = 'get') =>
    outcome(await send(path, authorization, dpop, method));
  /** A refusal and the one reason it reported. */
  const refusal = async (response: Promise<Outcome>): Promise<[Outcome, RefusalReason[]]> => {
    reasons.length = 0;
    const result = await response;
    return [result, [...reasons]];
  };

  beforeAll(async () => {
    [provider, opaqueProvider, client] = await Promise.all([
      TestProvider.start([], { dpop: true }),
      TestProvider.start([], { accessTokens: 'opaque', dpop: true }),
      DPoPClient.start(),
    ]);
    await Promise.all([client.key('client'), client.key('other')]);
    // Token requests carry a proof of the client's key (RFC 9449 §5): the provider binds the tokens to it.
    const tokenProof = (issuer: TestProvider) => client.proof('client', { htm: 'POST', htu: issuer.tokenEndpoint });
    [bound, unbound, boundOpaque] = await Promise.all([
      provider.dpopBoundToken(await tokenProof(provider)),
      provider.clientCredentialsToken(),
      opaqueProvider.dpopBoundToken(await tokenProof(opaqueProvider)),
    ]);

    const jwt = (dpop?: ConstructorParameters<typeof JwtValidator>[0]['dpop']) =>
      new JwtValidator({ issuer: provider.issuer, audience: API_AUDIENCE, algorithms: ['RS256'], typ: 'at+jwt', dpop });
    const required = new HTTPBearer({ schemeName: 'required' });
    const allowed = new OAuth2ClientCredentialsBearer({ schemeName: 'allowed', tokenUrl: provider.tokenEndpoint, scopes: { read: 'Read.' } });
    const withNonce = new HTTPBearer({ schemeName: 'nonce' });
    const introspected = new HTTPBearer({ schemeName: 'introspected' });
    const multi = new OpenIdConnect({ schemeName: 'multi', openIdConnectUrl: `${provider.issuer}/.well-known/openid-configuration` });
    const plain = new HTTPBearer({ schemeName: 'plain' });
    const algorithms = ['ES256', 'PS256'] as const;

    @Controller()
    class ApiController {
      @Security(required)
      @Get('required')
      get(@CurrentUser() claims: { client_id: string }) {
        return { client: claims.client_id };
      }

      @Security(required)
      @Post('required')
      post() {
        return { posted: true };
      }

      @Security(allowed, ['read'])
      @Get('allowed')
      allowed(@CurrentUser() claims: { client_id: string }) {
        return { client: claims.client_id };
      }

      @Security(withNonce)
      @Get('nonce')
      nonce() {
        return { nonce: 'ok' };
      }

      @Security(introspected)
      @Get('introspected')
      introspected(@CurrentUser() claims: { client_id: string }) {
        return { client: claims.client_id };
      }

      @Security(multi)
      @Get('multi')
      multi(@CurrentUser() claims: { client_id: string }) {
        return { client: claims.client_id };
      }

      @Security(plain)
      @Get('plain')
      plain() {
        return { plain: true };
      }
    }

    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: required, validator: jwt({ mode: 'required', algorithms: [...algorithms] }) },
            { scheme: allowed, validator: jwt({ mode: 'allowed', algorithms: [...algorithms] }) },
            { scheme: withNonce, validator: jwt({ mode: 'required', algorithms: [...algorithms], nonce: { secret: NONCE_SECRET } }) },
            {
              scheme: introspected,
              validator: new IntrospectionValidator({
                issuer: opaqueProvider.issuer,
                clientId: 'api',
                clientSecret: 'api-secret',
                dpop: { mode: 'required', algorithms: [...algorithms] },
              }),
            },
            {
              scheme: multi,
              validator: new MultiIssuerValidator({
                issuers: [{ issuer: provider.issuer, audience: API_AUDIENCE, algorithms: ['RS256'] }],
                dpop: { mode: 'allowed', algorithms: [...algorithms] },
              }),
            },
            { scheme: plain, validator: jwt() },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [ApiController],
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([provider?.stop(), opaqueProvider?.stop(), client?.stop()]);
  });

  it("binds the provider's tokens to the client's key: cnf.jkt is jose's thumbprint, and the library's", async () => {
    const { publicJwk, thumbprint } = await client.key('client');
    const claims = JSON.parse(Buffer.from(bound.split('.')[1], 'base64url').toString()) as { cnf?: { jkt?: string } };
    expect(claims.cnf?.jkt).toBe(thumbprint);
    expect(jwkThumbprint(publicJwk as Record<string, unknown>)).toBe(thumbprint);
  });

  describe('a valid proof', () => {
    it('lets a DPoP-bound token in (JwtValidator, HTTPBearer, required mode)', async () => {
      expect(await call('/required', `DPoP ${bound}`, await proof('/required', bound))).toEqual(ok({ client: 'machine' }));
    });

    it('in allowed mode too (an OAuth2 bearer scheme), with the route\'s scopes', async () => {
      expect(await call('/allowed', `DPoP ${bound}`, await proof('/allowed', bound))).toEqual(ok({ client: 'machine' }));
    });

    it('for an opaque token whose introspection answer carries cnf.jkt (IntrospectionValidator)', async () => {
      expect(await call('/introspected', `DPoP ${boundOpaque}`, await proof('/introspected', boundOpaque))).toEqual(ok({ client: 'machine' }));
    });

    it('through MultiIssuerValidator and the raw header of OpenIdConnect', async () => {
      expect(await call('/multi', `DPoP ${bound}`, await proof('/multi', bound))).toEqual(ok({ client: 'machine' }));
    });

    it('with htu normalised as RFC 9449 §4.3 says: scheme and host case, the default port, query and fragment ignored', async () => {
      const htu = `HTTP://API.Test:80/required?page=2#top`;
      expect(await call('/required?page=3', `DPoP ${bound}`, await proof('/required', bound, { htu }))).toEqual(ok({ client: 'machine' }));
    });

    it('for the method it names (POST)', async () => {
      const answer = await call('/required', `DPoP ${bound}`, await proof('/required', bound, { htm: 'POST' }), 'post');
      expect(answer).toEqual({ status: 201, body: { posted: true }, challenge: undefined });
    });
  });

  describe('replay', () => {
    it('refuses a proof used once already, though everything else is valid', async () => {
      const used = await proof('/required', bound);
      expect(await call('/required', `DPoP ${bound}`, used)).toEqual(ok({ client: 'machine' }));
      expect(await refusal(call('/required', `DPoP ${bound}`, used))).toEqual([INVALID_PROOF, ['dpop_proof_replayed']]);
      // The same jti in a new proof of the same key is a replay too.
      const jti = randomUUID();
      expect((await call('/required', `DPoP ${bound}`, await proof('/required', bound, { jti }))).status).toBe(200);
      expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', bound, { jti })))).toEqual([INVALID_PROOF, ['dpop_proof_replayed']]);
    });

    it('keeps the verified-token cache: a new proof for the same token passes every time', async () => {
      for (let i = 0; i < 3; i++) expect((await call('/required', `DPoP ${bound}`, await proof('/required', bound))).status).toBe(200);
    });
  });

  describe('each check of RFC 9449 §4.3 refuses with DPoP error="invalid_dpop_proof"', () => {
    it('htm: a proof made for POST sent with GET', async () => {
      expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', bound, { htm: 'POST' })))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
    });

    it('htu: a proof made for another path, another host, another scheme', async () => {
      for (const htu of [`http://${HOST}/allowed`, 'http://other.test/required', `https://${HOST}/required`]) {
        expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', bound, { htu })))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
      }
    });

    it('ath: a proof made for another access token', async () => {
      expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', unbound)))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
    });

    it('iat: a proof older than the window (60 s), or from the future', async () => {
      for (const iat of [now() - 90, now() + 60]) {
        expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', bound, { iat })))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
      }
    });

    it('a symmetric algorithm: HS256 with an oct key in jwk, and with the client\'s public key as the HMAC secret', async () => {
      const { publicJwk } = await client.key('client');
      const secret = randomBytes(32);
      const claims = { htm: 'GET', htu: `http://${HOST}/required`, iat: now(), jti: randomUUID(), ath: athOf(bound) };
      const oct = craftJws({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: secret.toString('base64url') } }, claims, secret);
      const confused = craftJws({ typ: 'dpop+jwt', alg: 'HS256', jwk: publicJwk }, claims, Buffer.from(JSON.stringify(publicJwk)));
      for (const forged of [oct, confused]) {
        expect(await refusal(call('/required', `DPoP ${bound}`, forged))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
      }
    });

    it('a private key in jwk, though the signature is valid', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const jwk = privateKey.export({ format: 'jwk' });
      expect(jwk.d).toBeDefined();
      const withPrivate = craftJws(
        { typ: 'dpop+jwt', alg: 'ES256', jwk },
        { htm: 'GET', htu: `http://${HOST}/required`, iat: now(), jti: randomUUID(), ath: athOf(bound) },
        privateKey,
      );
      expect(await refusal(call('/required', `DPoP ${bound}`, withPrivate))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
    });

    it('typ, a signature by another key, alg none, no DPoP header, two DPoP headers, a proof that is not a JWT', async () => {
      const good = await proof('/required', bound);
      const [header, payload] = good.split('.');
      const untyped = `${b64({ ...parse(header), typ: 'JWT' })}.${payload}.${good.split('.')[2]}`;
      const resigned = `${header}.${payload}.${(await proof('/required', bound, {}, 'other')).split('.')[2]}`;
      const none = `${b64({ ...parse(header), alg: 'none' })}.${payload}.`;
      for (const dpop of [untyped, resigned, none, undefined, [good, await proof('/required', bound)], 'not-a-jwt']) {
        expect(await refusal(call('/required', `DPoP ${bound}`, dpop))).toEqual([INVALID_PROOF, ['dpop_proof_invalid']]);
      }
    });
  });

  describe('the binding between token and proof', () => {
    it("refuses a proof signed by another key than the token's cnf.jkt: DPoP error=\"invalid_token\"", async () => {
      expect(await refusal(call('/required', `DPoP ${bound}`, await proof('/required', bound, {}, 'other')))).toEqual([INVALID_TOKEN, ['dpop_binding_mismatch']]);
      expect(await refusal(call('/introspected', `DPoP ${boundOpaque}`, await proof('/introspected', boundOpaque, {}, 'other')))).toEqual([
        INVALID_TOKEN,
        ['dpop_binding_mismatch'],
      ]);
    });

    it('refuses an unbound token presented with a valid proof', async () => {
      expect(await refusal(call('/required', `DPoP ${unbound}`, await proof('/required', unbound)))).toEqual([INVALID_TOKEN, ['dpop_binding_mismatch']]);
    });

    it('refuses a DPoP-bound token sent as Bearer, in both modes, with the right challenges', async () => {
      // required: only DPoP is accepted; the answer is the scheme's challenge.
      expect(await refusal(call('/required', `Bearer ${bound}`))).toEqual([{ status: 401, body: NOT_AUTHENTICATED, challenge: `DPoP ${ALGS}` }, ['dpop_required']]);
      expect(await refusal(call('/introspected', `Bearer ${boundOpaque}`))).toEqual([{ status: 401, body: NOT_AUTHENTICATED, challenge: `DPoP ${ALGS}` }, ['dpop_required']]);
      // allowed: Bearer is accepted, but never for a bound token (its thief would need no key), even with a proof beside it.
      const bearerRefused = refused(`Bearer error="invalid_token", DPoP ${ALGS}`);
      expect(await refusal(call('/allowed', `Bearer ${bound}`))).toEqual([bearerRefused, ['dpop_required']]);
      expect(await refusal(call('/allowed', `Bearer ${bound}`, await proof('/allowed', bound)))).toEqual([bearerRefused, ['dpop_required']]);
      expect(await refusal(call('/multi', `Bearer ${bound}`))).toEqual([bearerRefused, ['dpop_required']]);
    });
  });

  describe('modes', () => {
    it('allowed: an unbound token as Bearer passes; required: it is refused; off (no dpop option, same app): Bearer only, as before', async () => {
      expect(await call('/allowed', `Bearer ${unbound}`)).toEqual(ok({ client: 'machine' }));
      expect(await call('/multi', `Bearer ${unbound}`)).toEqual(ok({ client: 'machine' }));
      expect(await refusal(call('/required', `Bearer ${unbound}`))).toEqual([{ status: 401, body: NOT_AUTHENTICATED, challenge: `DPoP ${ALGS}` }, ['dpop_required']]);
      // A scheme whose validator has no dpop option never takes Authorization: DPoP, even next to schemes that do.
      expect(await refusal(call('/plain', `DPoP ${bound}`, await proof('/plain', bound)))).toEqual([
        { status: 401, body: NOT_AUTHENTICATED, challenge: 'Bearer' },
        ['credentials_missing'],
      ]);
      expect(await call('/plain', `Bearer ${unbound}`)).toEqual(ok({ plain: true }));
    });

    it('no credentials: DPoP algs="..." in required mode, Bearer and DPoP in allowed mode', async () => {
      expect(await call('/required', undefined)).toEqual({ status: 401, body: NOT_AUTHENTICATED, challenge: `DPoP ${ALGS}` });
      expect(await call('/allowed', undefined)).toEqual({ status: 401, body: NOT_AUTHENTICATED, challenge: `Bearer, DPoP ${ALGS}` });
      expect(await call('/multi', undefined)).toEqual({ status: 401, body: NOT_AUTHENTICATED, challenge: `Bearer, DPoP ${ALGS}` });
    });

    it('allowed: an invalid proof is refused with the DPoP error beside the Bearer challenge; a bad Bearer token with the Bearer error', async () => {
      expect(await call('/allowed', `DPoP ${bound}`, await proof('/allowed', bound, { htm: 'POST' }))).toEqual(
        refused(`Bearer, DPoP error="invalid_dpop_proof", ${ALGS}`),
      );
      expect(await call('/allowed', `Bearer ${unbound}x`)).toEqual(refused(`Bearer error="invalid_token", DPoP ${ALGS}`));
      expect(await call('/allowed', `DPoP ${bound}x`, await proof('/allowed', `${bound}x`))).toEqual(refused(`Bearer, DPoP error="invalid_token", ${ALGS}`));
    });
  });

  describe('server nonces', () => {
    it('asks for a nonce (use_dpop_nonce, DPoP-Nonce), then accepts a proof that carries it', async () => {
      reasons.length = 0;
      const first = await send('/nonce', `DPoP ${bound}`, await proof('/nonce', bound));
      expect(outcome(first)).toEqual(refused(`DPoP error="use_dpop_nonce", ${ALGS}`));
      expect(reasons).toEqual(['dpop_nonce_required']);
      const nonce = nonceOf(first);
      expect(nonce).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{22}$/);
      const second = await send('/nonce', `DPoP ${bound}`, await proof('/nonce', bound, { nonce }));
      expect(outcome(second)).toEqual(ok({ nonce: 'ok' }));
      expect(nonceOf(second)).toBeUndefined(); // the nonce is current: nothing new to send
    });

    it('refuses a made-up nonce with a new one to use', async () => {
      const answer = await send('/nonce', `DPoP ${bound}`, await proof('/nonce', bound, { nonce: 'made-up' }));
      expect(outcome(answer)).toEqual(refused(`DPoP error="use_dpop_nonce", ${ALGS}`));
      expect(nonceOf(answer)).toMatch(/^[a-z0-9]+\./);
    });
  });
});

function athOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parse(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
}

function nonceOf(response: Response): string | undefined {
  return response.headers['dpop-nonce'] as string | undefined;
}
