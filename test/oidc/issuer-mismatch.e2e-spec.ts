import { Controller, Get } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { HTTPBearer, JwtValidator, MultiIssuerValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { ok, outcome } from '../utils/auth';
import { CaptureLogger } from '../utils/capture-logger';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { API_AUDIENCE, TestProvider } from './provider';

const MISCONFIGURED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'Bearer error="invalid_token"',
  retryAfter: undefined,
};
const single = new HTTPBearer({ schemeName: 'single' });
const multi = new HTTPBearer({ schemeName: 'multi' });

@Controller()
class ApiController {
  @Security(single)
  @Get('single')
  viaSingle() {
    return {};
  }

  @Security(multi)
  @Get('multi')
  viaMulti() {
    return {};
  }
}

/**
 * An issuer configured with a trailing slash that its provider does not have: a configuration error, found at
 * start-up (one ERROR line naming both values) and answered as one (401 issuer_mismatch), not as an outage (503
 * with Retry-After, for ever). A provider that is down at start-up is a warning, and delays nothing.
 */
describe.each(PLATFORMS)('Discovery at start-up against a real OpenID provider (%s)', (platform) => {
  let provider: TestProvider;
  let t: TestApp | undefined;
  const logger = new CaptureLogger();
  const reasons: RefusalReason[] = [];
  let token: string;
  const get = async (path: string, bearer: string) => {
    reasons.length = 0;
    const response = await t!.http.get(path).set('Authorization', `Bearer ${bearer}`);
    return { ...outcome(response), retryAfter: response.headers['retry-after'], reasons: [...reasons] };
  };
  const start = async (issuer: string) => {
    logger.clear();
    const options = { issuer, audience: API_AUDIENCE, algorithms: ['RS256'] as const };
    t = await createTestApp(
      platform,
      {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: [
              { scheme: single, validator: new JwtValidator({ ...options, algorithms: ['RS256'] }) },
              { scheme: multi, validator: new MultiIssuerValidator({ issuers: [{ ...options, algorithms: ['RS256'] }] }) },
            ],
            onRefusal: (refusal) => reasons.push(refusal.reason),
          }),
        ],
        controllers: [ApiController],
      },
      (app) => app.useLogger(logger),
    );
  };

  beforeAll(async () => {
    provider = await TestProvider.start();
    token = await provider.clientCredentialsToken();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => provider?.stop());

  it('an issuer with a trailing slash: an ERROR at start-up naming both values, then 401 issuer_mismatch, never 503', async () => {
    const configured = `${provider.issuer}/`;
    const before = await provider.counts();
    await start(configured);
    const discovery = `${provider.issuer}/.well-known/openid-configuration`;
    const expected =
      `Configuration error: the discovery document ${discovery} names the issuer ${JSON.stringify(provider.issuer)}, ` +
      `not the configured ${JSON.stringify(configured)}. Its tokens are refused (issuer_mismatch).`;
    expect(logger.messages('error', 'JwtValidator')).toEqual([expected, expected]); // JwtValidator's, MultiIssuerValidator's
    expect((await provider.counts()).requests - before.requests).toBe(2); // each discovery fetched once, no JWKS

    const slashed = craftJws({ alg: 'RS256', kid: 'k' }, { iss: configured, aud: API_AUDIENCE, sub: 's', iat: now(), exp: now() + 60 }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    for (let i = 0; i < 3; i++) {
      expect(await get('/single', token)).toEqual({ ...MISCONFIGURED, reasons: ['issuer_mismatch'] });
      expect(await get('/multi', slashed)).toEqual({ ...MISCONFIGURED, reasons: ['issuer_mismatch'] });
    }
    expect(logger.messages('error', 'JwtValidator')).toHaveLength(2); // said once per key set
    expect(logger.lines.filter((line) => line.message.includes(token) || line.message.includes(slashed))).toEqual([]);
  });

  it('the provider down at start-up: a WARN with the URL and the cause, and the first token after it is back is accepted', async () => {
    await provider.down();
    try {
      await start(provider.issuer);
    } finally {
      await provider.up();
    }
    const warnings = logger.messages('warn', 'JwtValidator');
    expect(warnings).toHaveLength(2);
    for (const warning of warnings) {
      expect(warning).toMatch(/^Could not fetch the key set: GET http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration failed: .*ECONNREFUSED/);
    }
    expect(logger.messages('error', 'JwtValidator')).toEqual([]);
    expect(await get('/single', token)).toEqual({ ...ok({}), retryAfter: undefined, reasons: [] });
  });

  it('a provider that answers: keys fetched at start-up, nothing logged', async () => {
    await start(provider.issuer);
    const before = await provider.counts();
    expect(await get('/single', token)).toEqual({ ...ok({}), retryAfter: undefined, reasons: [] });
    expect((await provider.counts()).requests).toBe(before.requests);
    expect(logger.lines.filter((line) => line.context === 'JwtValidator')).toEqual([]);
  });
});
