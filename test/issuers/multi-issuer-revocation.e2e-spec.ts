import { Controller, Get } from '@nestjs/common';
import { HTTPBearer, MultiIssuerValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { RevokedIdsStore } from '../utils/revoked-ids-store';

const SECRET_A = Buffer.from('issuer-a-secret-of-at-least-32-bytes-long!!');
const SECRET_B = Buffer.from('issuer-b-secret-of-at-least-32-bytes-long!!');
const scheme = new HTTPBearer();

@Controller()
class MeController {
  @Security(scheme)
  @Get('me')
  me() {
    return {};
  }
}

describe.each(PLATFORMS)('MultiIssuerValidator with a revocation store (%s)', (platform) => {
  let t: TestApp;
  const store = new RevokedIdsStore();
  const reasons: RefusalReason[] = [];
  const token = (iss: string, secret: Buffer, jti: string) => craftJws({ alg: 'HS256' }, { iss, aud: 'api', sub: 'alice', jti, iat: now(), exp: now() + 60 }, secret);
  const status = async (value: string) => (await t.http.get('/me').set('Authorization', `Bearer ${value}`).then(outcome)).status;

  beforeAll(async () => {
    const validator = new MultiIssuerValidator({
      issuers: [
        { issuer: 'https://a.test', key: SECRET_A, algorithms: ['HS256'], audience: 'api' },
        { issuer: 'https://b.test', key: SECRET_B, algorithms: ['HS256'], audience: 'api' },
      ],
      revocation: store,
    });
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validator }], onRefusal: (refusal) => reasons.push(refusal.reason) })],
      controllers: [MeController],
    });
  });
  afterAll(() => t.close());

  it('refuses a cached token once its jti is revoked (401, reason revoked); other tokens pass', async () => {
    const a = token('https://a.test', SECRET_A, 'a-1');
    const b = token('https://b.test', SECRET_B, 'b-1');
    expect([await status(a), await status(b)]).toEqual([200, 200]);
    await store.revokeToken('a-1');
    reasons.length = 0;
    expect([await status(a), await status(b)]).toEqual([401, 200]);
    expect(reasons).toEqual(['revoked']);
  });

  it('rejects a revocation option that is not a RevocationStore at start-up', () => {
    expect(() => new MultiIssuerValidator({ issuers: [{ issuer: 'https://a.test', key: SECRET_A, algorithms: ['HS256'] }], revocation: {} as never })).toThrow(
      'MultiIssuerValidator: revocation must be a RevocationStore (InMemoryRevocationStore, RedisRevocationStore...) or false.',
    );
  });
});
