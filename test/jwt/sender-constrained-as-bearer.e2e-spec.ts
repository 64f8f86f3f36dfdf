import { Controller, Get } from '@nestjs/common';
import { HTTPBearer, JwtValidator, MultiIssuerValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from './craft';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// A sender-constrained token (`cnf`: bound to a DPoP key or a client certificate) may only be presented
// with its holder's proof. A validator without DPoP takes bearer tokens only, so it refuses such a token
// instead of accepting a stolen bound token as a bearer one (IntrospectionValidator already did).

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const ISSUER = 'https://issuer.test';
const jwt = new HTTPBearer({ schemeName: 'jwt' });
const multi = new HTTPBearer({ schemeName: 'multi' });

@Controller()
class NotesController {
  @Security(jwt)
  @Get('jwt')
  viaJwt() {
    return { ok: true };
  }

  @Security(multi)
  @Get('multi')
  viaMulti() {
    return { ok: true };
  }
}

const token = (claims: Record<string, unknown> = {}) =>
  craftJws({ alg: 'HS256', typ: 'JWT' }, { iss: ISSUER, sub: 'ann', exp: now() + 600, ...claims }, SECRET);

describe.each(PLATFORMS)('a sender-constrained token presented as Bearer (%s)', (platform) => {
  let t: TestApp;
  const reasons: RefusalReason[] = [];

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: jwt, validator: new JwtValidator({ key: SECRET, algorithms: ['HS256'], issuer: ISSUER }) },
            { scheme: multi, validator: new MultiIssuerValidator({ issuers: [{ issuer: ISSUER, key: SECRET, algorithms: ['HS256'] }] }) },
          ],
          onRefusal: (refusal) => void reasons.push(refusal.reason),
        }),
      ],
      controllers: [NotesController],
    });
  });
  afterAll(() => t.close());

  it.each(['jwt', 'multi'])('%s: a plain token passes; one with cnf.jkt or cnf.x5t#S256 is 401 invalid_token (typ_mismatch), also from the cache', async (path) => {
    reasons.length = 0;
    const get = (value: string) => t.http.get(`/${path}`).set('Authorization', `Bearer ${value}`);
    expect((await get(token())).status).toBe(200);
    const bound = [token({ cnf: { jkt: 'b'.repeat(43) } }), token({ cnf: { 'x5t#S256': 'c'.repeat(43) } })];
    for (const value of [...bound, ...bound]) {
      const response = await get(value);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(reasons).toEqual(['typ_mismatch', 'typ_mismatch', 'typ_mismatch', 'typ_mismatch']);
  });
});
