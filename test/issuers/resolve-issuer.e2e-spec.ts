import { Controller, Get } from '@nestjs/common';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { CurrentUser, HTTPBearer, MultiIssuerValidator, Security, SecuritySchemesModule, type IssuedTokenClaims, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const REFUSED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
};
const scheme = new HTTPBearer();
const TENANT_ISSUER = /^https:\/\/login\.example\.com\/([a-z0-9-]+)\/v2\.0$/;

@Controller()
class TenantController {
  @Security(scheme)
  @Get('me')
  me(@CurrentUser() claims: IssuedTokenClaims) {
    return { iss: claims.iss, tid: claims.tid };
  }
}

describe.each(PLATFORMS)('MultiIssuerValidator with resolveIssuer: tenants of a multi-tenant provider (%s)', (platform) => {
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const keys = { contoso: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, fabrikam: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
  const asked: string[] = [];
  const issuerOf = (tenant: string) => `https://login.example.com/${tenant}/v2.0`;
  const tokenOf = (tenant: string, key = keys[tenant as keyof typeof keys], extra: Record<string, unknown> = {}) =>
    craftJws({ alg: 'ES256' }, { iss: issuerOf(tenant), tid: tenant, aud: 'api', sub: 'u', iat: now(), exp: now() + 60, ...extra }, key);
  const get = async (token: string) => {
    reasons.length = 0;
    return { ...(await t.http.get('/me').set('Authorization', `Bearer ${token}`).then(outcome)), reasons: [...reasons] };
  };

  beforeAll(async () => {
    const validator = new MultiIssuerValidator({
        resolveIssuer: async (iss) => {
          asked.push(iss);
          const tenant = TENANT_ISSUER.exec(iss)?.[1];
          if (tenant !== 'contoso' && tenant !== 'fabrikam') return undefined;
          return { key: createPublicKey(keys[tenant]), algorithms: ['ES256'], audience: 'api' };
        },
    });
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validator }], onRefusal: (refusal) => reasons.push(refusal.reason) })],
      controllers: [TenantController],
    });
  });
  afterAll(() => t.close());
  beforeEach(() => (asked.length = 0));

  it('accepts the tokens of each trusted tenant, asking the resolver once per issuer', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await get(tokenOf('contoso', undefined, { jti: String(i) }))).toEqual({ ...ok({ iss: issuerOf('contoso'), tid: 'contoso' }), reasons: [] });
      expect(await get(tokenOf('fabrikam', undefined, { jti: String(i) }))).toEqual({ ...ok({ iss: issuerOf('fabrikam'), tid: 'fabrikam' }), reasons: [] });
    }
    expect(asked).toEqual([issuerOf('contoso'), issuerOf('fabrikam')]);
  });

  it('refuses an untrusted tenant (issuer_untrusted), and remembers the answer', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    for (let i = 0; i < 3; i++) expect(await get(tokenOf('evil', stranger, { jti: String(i) }))).toEqual({ ...REFUSED, reasons: ['issuer_untrusted'] });
    expect(asked).toEqual([issuerOf('evil')]);
  });

  it("refuses a token of one tenant signed with the other tenant's key", async () => {
    expect(await get(tokenOf('contoso', keys.fabrikam))).toEqual({ ...REFUSED, reasons: ['signature_invalid'] });
  });
});
