import { Controller, Get } from '@nestjs/common';
import { CurrentUser, HTTPBearer, JwtValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const bearer = new HTTPBearer();
const NOT_RECENT = {
  status: 401,
  body: { statusCode: 401, message: 'Insufficient user authentication', error: 'Unauthorized' },
  challenge: 'Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="300"',
};

@Controller()
class PayoutsController {
  @Security(bearer, { maxAge: 300 })
  @Get('payouts')
  payouts(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/** A token whose `auth_time` is in the future would meet every `maxAge` for its whole life. */
describe.each(PLATFORMS)('Step-up maxAge and an auth_time in the future (%s)', (platform) => {
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const token = (authTime: number) => craftJws({ alg: 'HS256' }, { sub: 'alice', auth_time: authTime, iat: now(), exp: now() + 3600 }, SECRET);
  const get = async (authTime: number) => {
    reasons.length = 0;
    return { ...(await t.http.get('/payouts').set('Authorization', `Bearer ${token(authTime)}`).then(outcome)), reasons: [...reasons] };
  };

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [{ scheme: bearer, validator: new JwtValidator({ key: SECRET, algorithms: ['HS256'] }) }],
          onRefusal: (refusal) => reasons.push(refusal.reason),
        }),
      ],
      controllers: [PayoutsController],
    });
  });
  afterAll(() => t?.close());

  it('refuses an auth_time beyond the clock tolerance in the future (401 step-up)', async () => {
    expect(await get(now() + 3600)).toEqual({ ...NOT_RECENT, reasons: ['step_up_required'] });
    expect(await get(now() + 60)).toEqual({ ...NOT_RECENT, reasons: ['step_up_required'] });
    expect(await get(now() + 1e9)).toEqual({ ...NOT_RECENT, reasons: ['step_up_required'] });
  });

  it('accepts an auth_time within the clock tolerance, and a recent past one', async () => {
    expect(await get(now() + 3)).toEqual({ ...ok({ sub: 'alice' }), reasons: [] });
    expect(await get(now() - 290)).toEqual({ ...ok({ sub: 'alice' }), reasons: [] });
  });
});
