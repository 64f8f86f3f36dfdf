import { Injectable, UseGuards, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  APIKeyCookie,
  APIKeyHeader,
  CurrentUser,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  SkipCrossSiteCheck,
  type SecurityRefusal,
} from 'nestjs-security-schemes';
import { PLATFORMS, type Platform } from '../utils/platforms';
import { TestClient } from '../websockets/client';

// Cross-site WebSocket hijacking: a page on another site opens a WebSocket to the API, and the browser sends
// the API's cookies with the handshake. A gateway whose requirement a cookie-carried scheme can meet refuses
// such a handshake (4403 Cross-site request refused) by Sec-Fetch-Site, else Origin; its own pages, trusted
// origins and non-browser clients (no Origin) connect.

const session = new APIKeyCookie({ name: 'session', schemeName: 'session' });
const headerKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'headerKey' });

@Injectable()
class SessionValidator {
  validate(value: string) {
    return value.startsWith('s-') ? { sub: value.slice(2) } : null;
  }
}

@Security(session)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/live' })
class LiveGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser('sub') sub: string) {
    return { event: 'whoami', data: sub };
  }
}

@Security(session)
@SkipCrossSiteCheck()
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/devices' })
class DevicesGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser('sub') sub: string) {
    return { event: 'whoami', data: sub };
  }
}

@Security(headerKey)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/keyed' })
class KeyedGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser('sub') sub: string) {
    return { event: 'whoami', data: sub };
  }
}

async function start(platform: Platform, refusals: SecurityRefusal[]): Promise<{ app: INestApplication; base: string; host: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: [
          { scheme: session, validator: SessionValidator },
          { scheme: headerKey, validator: { validate: (key: string) => (key === 'k-1' ? { sub: 'device' } : null) } },
        ],
        crossSite: { trustedOrigins: ['https://app.example.com'] },
        onRefusal: (refusal) => void refusals.push(refusal),
      }),
    ],
    providers: [SessionValidator, LiveGateway, DevicesGateway, KeyedGateway],
  }).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1');
  return { app, base, host: new URL(base).host };
}

describe.each(PLATFORMS)('WebSocket handshakes with cookie credentials (%s)', (platform) => {
  let app: INestApplication;
  let base: string;
  let host: string;
  const refusals: SecurityRefusal[] = [];
  const clients: TestClient[] = [];
  const open = (path: string, headers: Record<string, string>) => {
    const client = new TestClient(`${base}${path}`, { cookie: 'session=s-ann', ...headers });
    clients.push(client);
    return client;
  };
  /** Connected: the gateway answers a message as the cookie's user. */
  const answers = async (client: TestClient) => (await client.request('whoami')).data;
  const refused = async (client: TestClient) => {
    const closed = await client.closed;
    return closed;
  };

  beforeAll(async () => ({ app, base, host } = await start(platform, refusals)));
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => app.close());

  it('refuses a handshake a page on another site opened (Origin), before the gateway sees it: 4403', async () => {
    refusals.length = 0;
    expect(await refused(open('/live', { origin: 'https://evil.example' }))).toEqual({ code: 4403, reason: 'Cross-site request refused' });
    expect(refusals.map(({ reason, status, schemes }) => ({ reason, status, schemes }))).toEqual([
      { reason: 'cross_site', status: 403, schemes: ['session'] },
    ]);
  });

  it('refuses by Fetch Metadata when the browser sends it (cross-site, same-site from an untrusted origin)', async () => {
    expect(await refused(open('/live', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }))).toMatchObject({ code: 4403 });
    expect(await refused(open('/live', { 'sec-fetch-site': 'same-site', origin: `http://other.${host}` }))).toMatchObject({ code: 4403 });
  });

  it("lets in the API's own pages (http or https on its host), trusted origins, and clients that are not browsers", async () => {
    expect(await answers(open('/live', { origin: `http://${host}` }))).toBe('ann');
    expect(await answers(open('/live', { origin: `https://${host}` }))).toBe('ann');
    expect(await answers(open('/live', { 'sec-fetch-site': 'same-origin', origin: `http://${host}` }))).toBe('ann');
    expect(await answers(open('/live', { 'sec-fetch-site': 'cross-site', origin: 'https://app.example.com' }))).toBe('ann');
    expect(await answers(open('/live', {}))).toBe('ann'); // no Origin: not a page's request
  });

  it('leaves alone gateways with @SkipCrossSiteCheck() and gateways whose credentials a page cannot make the browser send', async () => {
    expect(await answers(open('/devices', { origin: 'https://evil.example' }))).toBe('ann');
    const keyed = new TestClient(`${base}/keyed`, { 'x-api-key': 'k-1', origin: 'https://evil.example' });
    clients.push(keyed);
    expect(await answers(keyed)).toBe('device');
  });
});
