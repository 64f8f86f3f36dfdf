import { Controller, Get } from '@nestjs/common';
import { CurrentUser, HTTPBearer, JwtValidator, RedisRevocationStore, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { API_AUDIENCE, TestProvider } from '../oidc/provider';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { DPoPClient } from './dpop-client';

const HOST = 'api.test';
const REPLAYED = {
  status: 401,
  body: { statusCode: 401, message: 'Could not validate credentials', error: 'Unauthorized' },
  challenge: 'DPoP error="invalid_dpop_proof", algs="ES256"',
};

interface Instance {
  t: TestApp;
  reasons: RefusalReason[];
  get(token: string, proof: string): ReturnType<typeof send>;
}

function send(t: TestApp, token: string, proof: string) {
  return t.http.get('/me').set('Host', HOST).set('Authorization', `DPoP ${token}`).set('DPoP', proof);
}

/** One instance of the API behind a load balancer: the proofs' jtis are used once in the Redis store they share. */
async function startInstance(platform: Platform, provider: TestProvider, redisUrl: string): Promise<Instance> {
  const scheme = new HTTPBearer();
  const reasons: RefusalReason[] = [];

  @Controller()
  class MeController {
    @Security(scheme)
    @Get('me')
    me(@CurrentUser() claims: { client_id: string }) {
      return { client: claims.client_id };
    }
  }

  const validator = new JwtValidator({ issuer: provider.issuer, audience: API_AUDIENCE, algorithms: ['RS256'], dpop: { mode: 'required', algorithms: ['ES256'] } });
  const t = await createTestApp(platform, {
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: [{ scheme, validator }],
        revocation: new RedisRevocationStore({ redis: redisUrl, commandTimeoutMs: 300, retryAfterSeconds: 3 }),
        onRefusal: (refusal) => reasons.push(refusal.reason),
      }),
    ],
    controllers: [MeController],
  });
  return { t, reasons, get: (token, proof) => send(t, token, proof) };
}

describeWithRedis('DPoP proofs used once across instances sharing a real redis-server', () => {
  describe.each(PLATFORMS)('two instances (%s)', (platform) => {
    let provider: TestProvider;
    let client: DPoPClient;
    let redis: RedisServer;
    let a: Instance;
    let b: Instance;
    let token: string;
    const proof = () => client.proof('client', { htm: 'GET', htu: `http://${HOST}/me`, accessToken: token });

    beforeAll(async () => {
      [provider, client, redis] = await Promise.all([TestProvider.start([], { dpop: true }), DPoPClient.start(), startRedisServer()]);
      await client.key('client');
      token = await provider.dpopBoundToken(await client.proof('client', { htm: 'POST', htu: provider.tokenEndpoint }));
      a = await startInstance(platform, provider, redis.url);
      b = await startInstance(platform, provider, redis.url);
    });
    afterAll(async () => {
      await a?.t.close();
      await b?.t.close();
      await Promise.all([redis?.stop(), provider?.stop(), client?.stop()]);
    });

    it('refuses on instance B a proof instance A accepted, and on A one B accepted', async () => {
      const first = await proof();
      expect(outcome(await a.get(token, first))).toEqual(ok({ client: 'machine' }));
      expect(outcome(await b.get(token, first))).toEqual(REPLAYED);
      expect(b.reasons).toEqual(['dpop_proof_replayed']);
      const second = await proof();
      expect(outcome(await b.get(token, second))).toEqual(ok({ client: 'machine' }));
      expect(outcome(await a.get(token, second))).toEqual(REPLAYED);
    });

    it('accepts exactly one of the same proof sent to both instances at once', async () => {
      const same = await proof();
      const answers = await Promise.all([a.get(token, same), b.get(token, same), a.get(token, same), b.get(token, same)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401]);
    });

    it('answers 503 with Retry-After while Redis is down: a proof is never accepted unchecked', async () => {
      await redis.kill();
      try {
        const answer = await a.get(token, await proof());
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('3');
      } finally {
        await redis.restart();
      }
    });
  });
});
