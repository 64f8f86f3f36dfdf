import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { HTTPBearer, JwtValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { craftJws, now } from './craft';

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const OTHER_SECRET = Buffer.from('another-secret-of-at-least-32-bytes-for-hs256');
const bearer = new HTTPBearer({ bearerFormat: 'JWT' });

@Controller()
class MeController {
  @Security(bearer)
  @Get('me')
  me() {
    return {};
  }
}

const valid = (claims: Record<string, unknown> = {}) => ({ sub: 'alice', iss: 'local', aud: 'api', iat: now(), exp: now() + 60, ...claims });
const hs256 = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, secret = SECRET) =>
  craftJws({ alg: 'HS256', typ: 'at+jwt', ...header }, claims, secret);

describe.each(PLATFORMS)('JwtValidator refusal reasons, seen by the onRefusal hook (%s)', (platform) => {
  let t: TestApp;
  const reasons: RefusalReason[] = [];

  beforeAll(async () => {
    const validator = new JwtValidator({ key: SECRET, algorithms: ['HS256'], issuer: 'local', audience: 'api', typ: 'at+jwt' });
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator }], onRefusal: (refusal) => reasons.push(refusal.reason) })],
      controllers: [MeController],
    });
  });
  afterAll(() => t.close());

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const cases: [RefusalReason, () => string][] = [
    ['malformed', () => 'not-a-jwt'],
    ['malformed', () => 'e30.e30.e30.e30'],
    ['malformed', () => hs256(valid({ exp: 'tomorrow' }))],
    ['algorithm_not_allowed', () => craftJws({ alg: 'RS256', typ: 'at+jwt' }, valid(), rsa)],
    ['algorithm_not_allowed', () => craftJws({ alg: 'HS512', typ: 'at+jwt' }, valid(), SECRET)],
    ['typ_mismatch', () => hs256(valid(), { typ: 'JWT' })],
    ['signature_invalid', () => hs256(valid(), {}, OTHER_SECRET)],
    ['expired', () => hs256(valid({ exp: now() - 60 }))],
    ['not_yet_valid', () => hs256(valid({ nbf: now() + 3600 }))],
    ['issued_in_future', () => hs256(valid({ iat: now() + 3600 }))],
    ['issuer_untrusted', () => hs256(valid({ iss: 'elsewhere' }))],
    ['audience_mismatch', () => hs256(valid({ aud: 'other-api' }))],
  ];

  it.each(cases)('%s: a 401 whose body and challenge say no more than invalid_token', async (reason, token) => {
    reasons.length = 0;
    const value = token();
    const answer = await t.http.get('/me').set('Authorization', `Bearer ${value}`).then(outcome);
    expect(answer).toEqual({
      status: 401,
      body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
      challenge: 'Bearer error="invalid_token"',
    });
    expect(reasons).toEqual([reason]);
  });

  it('accepts a valid token (no reason recorded)', async () => {
    reasons.length = 0;
    expect((await t.http.get('/me').set('Authorization', `Bearer ${hs256(valid())}`)).status).toBe(200);
    expect(reasons).toEqual([]);
  });
});
