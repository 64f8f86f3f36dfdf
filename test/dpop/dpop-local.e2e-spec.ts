import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  InMemoryRevocationStore,
  JwtValidator,
  Security,
  SecuritySchemesModule,
  type DPoPOptions,
  type RefusalReason,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { ok, outcome, type Outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { DPoPClient } from './dpop-client';

// DPoP with locally signed access tokens: the proxies' URL options, the algorithms, nonce rotation, the replay
// store option, and start-up errors. The tokens of a real provider are in dpop-oidc.e2e-spec.ts.

const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const HOST = 'api.test';

/** The in-memory store, counting the one-time ids it is asked about. */
class CountingStore extends InMemoryRevocationStore {
  consumed = 0;
  override consumeOnceNow(id: string, expiresAt: number, attempt?: string): boolean {
    this.consumed++;
    return super.consumeOnceNow(id, expiresAt, attempt);
  }
}
const ALL = ['ES256', 'PS256', 'EdDSA', 'Ed25519'] as const;

function accessToken(jkt: string | undefined, sub = 'alice'): string {
  return craftJws({ alg: 'RS256', typ: 'at+jwt' }, { sub, iat: now(), exp: now() + 300, ...(jkt === undefined ? {} : { cnf: { jkt } }) }, issuerKey.privateKey);
}

function validator(dpop: DPoPOptions): JwtValidator {
  return new JwtValidator({ key: issuerKey.publicKey, algorithms: ['RS256'], dpop });
}

const REFUSED_BODY = { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' };
const invalidProof = (algs = ALL.join(' ')): Outcome => ({ status: 401, body: REFUSED_BODY, challenge: `DPoP error="invalid_dpop_proof", algs="${algs}"` });

describe.each(PLATFORMS)('DPoP options (%s)', (platform) => {
  let client: DPoPClient;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const replay = new CountingStore();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    client = await DPoPClient.start();
    for (const [name, alg] of [['es256', 'ES256'], ['ps256', 'PS256'], ['eddsa', 'EdDSA'], ['ed25519', 'Ed25519'], ['es384', 'ES384']]) {
      tokens[name] = accessToken((await client.key(name, alg)).thumbprint);
    }
    const schemes = Object.fromEntries(['forwarded', 'xForwarded', 'publicOrigin', 'algorithms', 'nonce'].map((name) => [name, new HTTPBearer({ schemeName: name })]));

    @Controller()
    class ApiController {
      @Security(schemes.forwarded)
      @Get('forwarded')
      forwarded(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }

      @Security(schemes.xForwarded)
      @Get('x-forwarded')
      xForwarded(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }

      @Security(schemes.publicOrigin)
      @Get('public-origin')
      publicOrigin(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }

      @Security(schemes.algorithms)
      @Get('algorithms')
      algorithms(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }

      @Security(schemes.nonce)
      @Get('nonce')
      nonce(@CurrentUser() claims: { sub: string }) {
        return { sub: claims.sub };
      }
    }

    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: schemes.forwarded, validator: validator({ mode: 'required', algorithms: [...ALL], forwardedHeaders: 'forwarded' }) },
            { scheme: schemes.xForwarded, validator: validator({ mode: 'required', algorithms: [...ALL], forwardedHeaders: 'x-forwarded' }) },
            { scheme: schemes.publicOrigin, validator: validator({ mode: 'required', algorithms: [...ALL], publicOrigin: 'https://www.example.com/api/' }) },
            { scheme: schemes.algorithms, validator: validator({ mode: 'required', algorithms: [...ALL], replay }) },
            { scheme: schemes.nonce, validator: validator({ mode: 'required', algorithms: [...ALL], nonce: { secret: randomBytes(32), lifetimeSeconds: 1 } }) },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [ApiController],
    });
  });
  afterAll(async () => {
    await t?.close();
    await client?.stop();
  });

  const call = async (path: string, key: string, htu: string, headers: Record<string, string> = {}, nonce?: string) => {
    const proof = await client.proof(key, { htm: 'GET', htu, accessToken: tokens[key], nonce });
    let request = t.http.get(path).set('Authorization', `DPoP ${tokens[key]}`).set('DPoP', proof);
    for (const [name, value] of Object.entries(headers)) request = request.set(name, value);
    return request;
  };

  describe('behind a proxy', () => {
    it("forwardedHeaders: 'forwarded' reads proto and host from the first element of Forwarded (RFC 7239)", async () => {
      const forwarded = { Host: 'internal:3000', Forwarded: 'for=192.0.2.60;proto=https;host="api.example.com", for=10.0.0.1;proto=http;host=internal' };
      expect(outcome(await call('/forwarded', 'es256', 'https://api.example.com/forwarded', forwarded))).toEqual(ok({ sub: 'alice' }));
      // The URL the app itself sees is not the one the client called.
      expect(outcome(await call('/forwarded', 'es256', 'http://internal:3000/forwarded', forwarded))).toEqual(invalidProof());
    });

    it("forwardedHeaders: 'x-forwarded' reads X-Forwarded-Proto and X-Forwarded-Host (their first values)", async () => {
      const headers = { Host: 'internal:3000', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'API.example.com, internal' };
      expect(outcome(await call('/x-forwarded', 'es256', 'https://api.example.com:443/x-forwarded', headers))).toEqual(ok({ sub: 'alice' }));
      expect(outcome(await call('/x-forwarded', 'es256', 'https://api.example.com/x-forwarded', { Host: 'api.example.com' }))).toEqual(invalidProof());
    });

    it('publicOrigin, with the path prefix a proxy removes; whatever Host and X-Forwarded-* say', async () => {
      const spoofed = { Host: 'evil.test', 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'http' };
      expect(outcome(await call('/public-origin', 'es256', 'https://www.example.com/api/public-origin', spoofed))).toEqual(ok({ sub: 'alice' }));
      expect(outcome(await call('/public-origin', 'es256', 'http://evil.test/public-origin', spoofed))).toEqual(invalidProof());
    });
  });

  describe('algorithms', () => {
    it('accepts proofs made by jose with ES256, PS256 (RSA), EdDSA and Ed25519 keys', async () => {
      for (const key of ['es256', 'ps256', 'eddsa', 'ed25519']) {
        expect(outcome(await call('/algorithms', key, `http://${HOST}/algorithms`, { Host: HOST }))).toEqual(ok({ sub: 'alice' }));
      }
    });

    it('refuses an algorithm that is not configured (ES384)', async () => {
      reasons.length = 0;
      expect(outcome(await call('/algorithms', 'es384', `http://${HOST}/algorithms`, { Host: HOST }))).toEqual(invalidProof());
      expect(reasons).toEqual(['dpop_proof_invalid']);
    });

    it('uses the jtis in the store named by dpop.replay', async () => {
      const proof = await client.proof('es256', { htm: 'GET', htu: `http://${HOST}/algorithms`, accessToken: tokens.es256 });
      const before = replay.consumed;
      const first = await t.http.get('/algorithms').set('Host', HOST).set('Authorization', `DPoP ${tokens.es256}`).set('DPoP', proof);
      expect(first.status).toBe(200);
      const again = await t.http.get('/algorithms').set('Host', HOST).set('Authorization', `DPoP ${tokens.es256}`).set('DPoP', proof);
      expect(outcome(again)).toEqual(invalidProof());
      expect(replay.consumed - before).toBe(2);
    });
  });

  describe('nonces', () => {
    it('accepts the previous nonce once it is replaced, and sends the current one with the answer (DPoP-Nonce)', async () => {
      const first = await call('/nonce', 'es256', `http://${HOST}/nonce`, { Host: HOST });
      expect(first.status).toBe(401);
      const nonce = first.headers['dpop-nonce'] as string;
      // lifetimeSeconds: 1, so the nonce's slot is the second it was made in (its prefix, base 36).
      const slot = parseInt(nonce.split('.')[0], 36);
      const until = (second: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, second * 1000 + 100 - Date.now())));
      await until(slot + 1); // the next slot: the nonce is the previous one
      const stale = await call('/nonce', 'es256', `http://${HOST}/nonce`, { Host: HOST }, nonce);
      expect(outcome(stale)).toEqual(ok({ sub: 'alice' }));
      const next = stale.headers['dpop-nonce'] as string;
      expect(next).toBeDefined();
      expect(next).not.toBe(nonce);
      await until(slot + 2); // two slots later the first nonce is refused
      const expired = await call('/nonce', 'es256', `http://${HOST}/nonce`, { Host: HOST }, nonce);
      expect(outcome(expired).challenge).toBe(`DPoP error="use_dpop_nonce", algs="${ALL.join(' ')}"`);
    });
  });
});

describe('DPoP start-up errors', () => {
  it('refuses symmetric and unknown algorithms, and a bad mode', () => {
    expect(() => validator({ mode: 'required', algorithms: ['HS256' as never] })).toThrow(
      'JwtValidator: dpop.algorithms: "HS256" is not an asymmetric JWS algorithm a DPoP proof may use (RFC 9449 §4.2).',
    );
    expect(() => validator({ mode: 'required', algorithms: ['none' as never] })).toThrow('"none" is not an asymmetric JWS algorithm');
    expect(() => validator({ mode: 'sometimes' as never })).toThrow("JwtValidator: dpop.mode must be 'allowed' (Bearer or DPoP) or 'required' (DPoP only).");
    expect(() => validator({ mode: 'allowed', nonce: { secret: 'short' } })).toThrow('JwtValidator: dpop.nonce.secret must have at least 32 bytes.');
    expect(() => validator({ mode: 'allowed', publicOrigin: 'api.example.com' })).toThrow('JwtValidator: dpop.publicOrigin must be an absolute http(s) URL');
  });

  it('refuses a validator with dpop on a scheme that cannot carry DPoP-bound tokens (an API key)', async () => {
    const apiKey = new APIKeyHeader({ name: 'x-token' });
    @Controller()
    class KeyController {
      @Security(apiKey)
      @Get('key')
      key() {
        return {};
      }
    }
    await expect(
      createTestApp('fastify', {
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: validator({ mode: 'allowed' }) }] })],
        controllers: [KeyController],
      }),
    ).rejects.toThrow('SecuritySchemesModule: scheme "APIKeyHeader" (APIKeyHeader) cannot carry DPoP-bound tokens (Authorization: DPoP)');
  });
});

