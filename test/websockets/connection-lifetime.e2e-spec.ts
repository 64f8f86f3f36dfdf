import { Logger, UseGuards, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import WebSocket from 'ws';
import {
  CurrentUser,
  HTTPBearer,
  InMemoryRevocationStore,
  RedisRevocationStore,
  RevocationStore,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  type JwtClaims,
  type SecurityRefusal,
} from 'nestjs-security-schemes';
import { PLATFORMS, type Platform } from '../utils/platforms';
import { describeWithRedis, startRedisServer, type RedisServer } from '../utils/redis-server';
import { bearer as testBearer, TokenValidator } from '../utils/tokens';
import { now } from '../jwt/craft';
import { jtiOf, jwt, sign } from '../revocation/revocation-app';

// A gateway connection authorized at connect time ends with its authorization: closed with 4401 by its
// token's exp, and within a second of a revocation; a message on a connection whose token was revoked is
// refused the same way. Real `ws` clients against platform-ws on Express and Fastify.

const jwtBearer = new HTTPBearer({ schemeName: 'jwt', bearerFormat: 'JWT' });
const ownStoreBearer = new HTTPBearer({ schemeName: 'ownStoreJwt', bearerFormat: 'JWT' });
const plainBearer = new HTTPBearer({ schemeName: 'plain' });
const ownStore = new InMemoryRevocationStore();

/** Sends `tick` every 100 ms to each connected client, from the gateway's own `handleConnection`. */
class Ticking implements OnGatewayConnection, OnGatewayDisconnect {
  private readonly timers = new Map<WebSocket, NodeJS.Timeout>();

  handleConnection(client: WebSocket) {
    let n = 0;
    this.timers.set(client, setInterval(() => client.send(JSON.stringify({ event: 'tick', data: ++n })), 100));
  }

  handleDisconnect(client: WebSocket) {
    clearInterval(this.timers.get(client));
    this.timers.delete(client);
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: JwtClaims) {
    return { event: 'whoami', data: user.sub };
  }
}

@Security(jwtBearer)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/live' })
class LiveGateway extends Ticking {}

/** Its JwtValidator checks a store of its own, not the module's. */
@Security(ownStoreBearer)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/own-store' })
class OwnStoreGateway extends Ticking {}

/** A validator of the application's own (no exp, no revocation check): the module's store is asked about its principal. */
@Security(plainBearer)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/plain' })
class PlainGateway extends Ticking {}

interface Received {
  event: string;
  data: unknown;
  at: number;
}

/** A real `ws` client that records every frame with the time it arrived, and how the connection closed. */
class Recorder {
  readonly socket: WebSocket;
  readonly frames: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;

  constructor(url: string, token: string) {
    this.socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    this.socket.on('message', (raw) => this.frames.push({ ...(JSON.parse(raw.toString()) as Frame), at: Date.now() }));
    this.closed = new Promise((resolve) =>
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
    );
  }

  /** How the connection closed, or 'still open' after `ms`. */
  closedWithin(ms: number): Promise<{ code: number; reason: string; at: number } | 'still open'> {
    return Promise.race([this.closed, sleep(ms).then(() => 'still open' as const)]);
  }

  ticks(): Received[] {
    return this.frames.filter((frame) => frame.event === 'tick');
  }

  /** Resolves once `count` ticks have arrived. */
  async ticked(count = 1): Promise<void> {
    while (this.ticks().length < count) await sleep(20);
  }
}

/** The gateways on a real server listening on a free port; `revocation` is the module's store (in memory by default). */
async function startGateways(
  platform: Platform,
  revocation?: RevocationStore,
  refusals: SecurityRefusal[] = [],
): Promise<{ app: INestApplication; base: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: [
          { scheme: jwtBearer, validator: jwt() },
          { scheme: ownStoreBearer, validator: jwt(ownStore) },
          { scheme: plainBearer, validator: TokenValidator },
        ],
        revocation,
        onRefusal: (refusal) => void refusals.push(refusal),
      }),
    ],
    providers: [TokenValidator, LiveGateway, OwnStoreGateway, PlainGateway],
  }).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1') };
}

type Frame = { event: string; data: unknown };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number; jti: string };

describe.each(PLATFORMS)('WebSocket gateway connections end with their authorization (%s)', (platform) => {
  let app: INestApplication;
  let base: string;
  let store: RevocationStore;
  const clients: Recorder[] = [];
  const refusals: SecurityRefusal[] = [];
  const errorLogs: unknown[] = [];
  const connect = async (path: string, token: string) => {
    const client = new Recorder(`${base}${path}`, token);
    clients.push(client);
    await client.ticked(); // connected and authorized
    return client;
  };

  beforeAll(async () => {
    ({ app, base } = await startGateways(platform, undefined, refusals));
    store = app.get(RevocationStore);
    jest.spyOn(Logger, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.socket.close();
    expect(errorLogs).toEqual([]);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  it("closes a connection with 4401 'Token expired' by its token's exp, while one with a valid token keeps receiving", async () => {
    const expiring = sign({ sub: 'exp-user', exp: now() + 2 });
    const exp = claimsOf(expiring).exp * 1000;
    const [short, long] = await Promise.all([connect('/live', expiring), connect('/live', sign({ sub: 'valid-user' }))]);

    const closed = await short.closedWithin(exp - Date.now() + 1500);
    if (closed === 'still open') throw new Error('the connection outlived its token');
    expect(closed).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(closed.at).toBeLessThanOrEqual(exp + 200);
    expect(closed.at).toBeGreaterThan(exp - 1000); // not closed early for nothing
    expect(short.ticks().length).toBeGreaterThan(3);
    expect(short.ticks().every((tick) => tick.at <= closed.at)).toBe(true);

    const before = long.ticks().length;
    await sleep(600);
    expect(long.socket.readyState).toBe(WebSocket.OPEN);
    expect(long.ticks().length).toBeGreaterThan(before + 2);
  });

  it('refuses a connection whose token expires within the sweep interval: closed with 4401, the gateway never sees it', async () => {
    const client = new Recorder(`${base}/live`, sign({ sub: 'late', exp: Date.now() / 1000 + 0.3 }));
    clients.push(client);
    expect(await client.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(client.frames).toEqual([]);
  });

  it("closes a connection with 4401 'Token revoked' within a second of revokeToken(jti, exp); other tokens of the user stay", async () => {
    const revoked = sign({ sub: 'rev-user' });
    const [target, other] = await Promise.all([connect('/live', revoked), connect('/live', sign({ sub: 'rev-user' }))]);
    const revokedAt = Date.now();
    await store.revokeToken(jtiOf(revoked), claimsOf(revoked).exp);
    const closed = await target.closedWithin(1500);
    if (closed === 'still open') throw new Error('the connection outlived the revocation');
    expect(closed).toMatchObject({ code: 4401, reason: 'Token revoked' });
    expect(closed.at - revokedAt).toBeLessThan(1000);
    await sleep(300);
    expect(other.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('reports each connection the sweep ends to onRefusal (reason, status, scheme, the gateway, a ws context)', async () => {
    const token = sign({ sub: 'audited' });
    const client = await connect('/live', token);
    refusals.length = 0;
    await store.revokeToken(jtiOf(token), claimsOf(token).exp);
    expect(await client.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token revoked' });
    await sleep(50);
    expect(refusals.map(({ reason, status, schemes, handler }) => ({ reason, status, schemes, handler }))).toEqual([
      { reason: 'revoked', status: 401, schemes: ['jwt'], handler: expect.stringMatching(/^LiveGateway\./) },
    ]);
    expect(refusals[0].context.getType()).toBe('ws');
  });

  it('closes every connection of a subject revoked with revokeSubject, within a second', async () => {
    const revocable = await Promise.all([connect('/live', sign({ sub: 'gone' })), connect('/live', sign({ sub: 'gone' }))]);
    const revokedAt = Date.now();
    await store.revokeSubject('gone', Date.now() / 1000, now() + 60);
    for (const client of revocable) {
      const closed = await client.closedWithin(1500);
      if (closed === 'still open') throw new Error('the connection outlived the revocation');
      expect(closed).toMatchObject({ code: 4401, reason: 'Token revoked' });
      expect(closed.at - revokedAt).toBeLessThan(1000);
    }
  });

  it('refuses a message sent right after a revocation the same way: closed with 4401, the handler never answers', async () => {
    const token = sign({ sub: 'chatty' });
    const client = await connect('/live', token);
    client.socket.send(JSON.stringify({ event: 'whoami', data: {} }));
    await sleep(100);
    expect(client.frames.filter((frame) => frame.event !== 'tick')).toEqual([expect.objectContaining({ event: 'whoami', data: 'chatty' })]);

    refusals.length = 0;
    await store.revokeToken(jtiOf(token), claimsOf(token).exp);
    client.socket.send(JSON.stringify({ event: 'whoami', data: {} }));
    expect(await client.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token revoked' });
    expect(client.frames.filter((frame) => frame.event !== 'tick')).toHaveLength(1); // no second whoami, no exception event
    expect(refusals.map(({ reason, status, schemes, handler }) => ({ reason, status, schemes, handler }))).toEqual([
      { reason: 'revoked', status: 401, schemes: ['jwt'], handler: 'LiveGateway.whoami' },
    ]);
  });

  it("checks the store of the gateway's validator when it has its own", async () => {
    const token = sign({ sub: 'own' });
    const client = await connect('/own-store', token);
    await ownStore.revokeToken(jtiOf(token), claimsOf(token).exp);
    expect(await client.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token revoked' });
  });

  it("asks the module's store about the principal of a validator of the application's own", async () => {
    const kept = await connect('/plain', testBearer('someone-else').Authorization.slice('Bearer '.length));
    const client = await connect('/plain', testBearer('plain-user').Authorization.slice('Bearer '.length));
    await store.revokeSubject('plain-user', Date.now() / 1000, now() + 60);
    expect(await client.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token revoked' });
    expect(kept.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describeWithRedis('A revocation taken on another instance (RedisRevocationStore) closes the connection within a second', () => {
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedisServer()));
  afterAll(() => redis?.stop());

  it.each(PLATFORMS)('%s', async (platform) => {
    const { app, base } = await startGateways(platform, new RedisRevocationStore({ redis: redis.url }));
    const otherInstance = new RedisRevocationStore({ redis: redis.url });
    const token = sign({ sub: 'elsewhere' });
    const client = new Recorder(`${base}/live`, token);
    try {
      await Promise.all([otherInstance.connect(), client.ticked()]);
      const revokedAt = Date.now();
      await otherInstance.revokeToken(jtiOf(token), claimsOf(token).exp);
      const closed = await client.closedWithin(1500);
      if (closed === 'still open') throw new Error('the connection outlived the revocation');
      expect(closed).toMatchObject({ code: 4401, reason: 'Token revoked' });
      expect(closed.at - revokedAt).toBeLessThan(1000);
    } finally {
      client.socket.close();
      await otherInstance.close();
      await app.close();
    }
  });
});
