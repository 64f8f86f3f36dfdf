import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CurrentUser, HTTPBearer, MultiIssuerValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
const cycled = new HTTPBearer({ schemeName: 'cycled' });
const expiring = new HTTPBearer({ schemeName: 'expiring' });
const forgetting = new HTTPBearer({ schemeName: 'forgetting' });

@Controller()
class TenantController {
  @Security(cycled)
  @Get('cycled')
  cycled() {
    return {};
  }

  @Security(expiring)
  @Get('expiring')
  expiring(@CurrentUser('iss') iss: string) {
    return { iss };
  }

  @Security(forgetting)
  @Get('forgetting')
  forgetting(@CurrentUser('iss') iss: string) {
    return { iss };
  }
}

/**
 * A multi-tenant identity provider: each tenant `/t<n>` has a discovery document and a JWKS (one signing key,
 * shared). It counts the requests it serves.
 */
async function multiTenantProvider() {
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const jwk = { ...signingKey.export({ format: 'jwk' }), d: undefined, kid: 'signing', alg: 'ES256', use: 'sig' };
  let requests = 0;
  let base = '';
  const server = createServer((request, response) => {
    requests++;
    const tenant = /^\/(t\d+)\//.exec(request.url ?? '')?.[1];
    response.setHeader('content-type', 'application/json');
    if (request.url?.endsWith('/.well-known/openid-configuration')) {
      return response.end(JSON.stringify({ issuer: `${base}/${tenant}`, jwks_uri: `${base}/${tenant}/jwks` }));
    }
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: (tenant: number) => `${base}/t${tenant}`,
    signingKey,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.each(PLATFORMS)('MultiIssuerValidator: resolved issuers, their key sets and their expiry (%s)', (platform) => {
  let provider: Awaited<ReturnType<typeof multiTenantProvider>>;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const trusted = new Set<string>();
  const settings = { audience: 'api', algorithms: ['ES256'] as const };
  const resolveIssuer = (iss: string) => (trusted.has(iss) ? { ...settings, algorithms: ['ES256' as const] } : undefined);
  let forgetful: MultiIssuerValidator;
  const claims = (iss: string) => ({ iss, aud: 'api', sub: 'u', iat: now(), exp: now() + 300 });
  const get = async (path: string, token: string) => {
    reasons.length = 0;
    return { ...(await t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome)), reasons: [...reasons] };
  };

  beforeAll(async () => {
    provider = await multiTenantProvider();
    forgetful = new MultiIssuerValidator({ resolveIssuer });
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: cycled, validator: new MultiIssuerValidator({ resolveIssuer }) },
            { scheme: expiring, validator: new MultiIssuerValidator({ resolveIssuer, resolvedIssuers: { trustedSeconds: 1 } }) },
            { scheme: forgetting, validator: forgetful },
          ],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [TenantController],
    });
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });
  beforeEach(() => trusted.clear());

  it('cycling through 101 issuers (one more than the cache holds) fetches each key set once per cooldown', async () => {
    const issuers = Array.from({ length: 101 }, (_, i) => provider.issuer(1000 + i));
    issuers.forEach((iss) => trusted.add(iss));
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const before = provider.requests();
    for (let i = 0; i < 1000; i++) {
      const forged = craftJws({ alg: 'ES256', kid: `forged-${i}` }, claims(issuers[i % issuers.length]), forger);
      expect(await get('/cycled', forged)).toEqual({ ...REFUSED, reasons: ['unknown_key'] });
    }
    // One discovery document and one JWKS per issuer, as if all 101 fit in the cache (2,000 before the fix).
    expect(provider.requests() - before).toBe(2 * issuers.length);
  });

  it('asks resolveIssuer again once trustedSeconds have passed: an issuer no longer trusted is refused, cached tokens included', async () => {
    const iss = provider.issuer(1);
    trusted.add(iss);
    const token = craftJws({ alg: 'ES256', kid: 'signing' }, claims(iss), provider.signingKey);
    expect(await get('/expiring', token)).toEqual({ ...ok({ iss }), reasons: [] });
    trusted.delete(iss);
    expect(await get('/expiring', token)).toEqual({ ...ok({ iss }), reasons: [] }); // still within trustedSeconds
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await get('/expiring', token)).toEqual({ ...REFUSED, reasons: ['issuer_untrusted'] });
  });

  it('forgetIssuer(iss): the next token of that issuer asks resolveIssuer again, cached tokens included', async () => {
    const iss = provider.issuer(2);
    trusted.add(iss);
    const token = craftJws({ alg: 'ES256', kid: 'signing' }, claims(iss), provider.signingKey);
    expect(await get('/forgetting', token)).toEqual({ ...ok({ iss }), reasons: [] });
    trusted.delete(iss);
    expect(await get('/forgetting', token)).toEqual({ ...ok({ iss }), reasons: [] });
    forgetful.forgetIssuer(iss);
    expect(await get('/forgetting', token)).toEqual({ ...REFUSED, reasons: ['issuer_untrusted'] });
    trusted.add(iss);
    forgetful.forgetIssuer(iss); // trusted again: the remembered refusal goes too
    expect(await get('/forgetting', token)).toEqual({ ...ok({ iss }), reasons: [] });
  });
});
