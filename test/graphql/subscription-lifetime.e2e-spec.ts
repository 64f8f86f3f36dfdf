import { Logger, type INestApplication } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  CurrentUser,
  HTTPBearer,
  InMemoryRevocationStore,
  RevocationStore,
  Security,
  SecuritySchemesModule,
  type JwtClaims,
} from 'nestjs-security-schemes';
import { GRAPHQL_PLATFORMS } from './server';
import { now } from '../jwt/craft';
import { jtiOf, jwt, sign } from '../revocation/revocation-app';

// A graphql-ws subscription ends with its authorization: its connection is closed with 4401 by its token's
// exp, and within a second of a revocation. Real graphql-ws clients (over `ws`) on Express and Fastify.

const jwtBearer = new HTTPBearer({ schemeName: 'jwt', bearerFormat: 'JWT' });
const ownStoreBearer = new HTTPBearer({ schemeName: 'ownStoreJwt', bearerFormat: 'JWT' });
const ownStore = new InMemoryRevocationStore();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number; jti: string };

/** A tick every 100 ms until the subscription ends. */
async function* ticking(sub: string, field: string) {
  for (let n = 1; ; n++) {
    await sleep(100);
    yield { [field]: `${sub} ${n}` };
  }
}

@Resolver()
class TicksResolver {
  @Query(() => String)
  hello(): string {
    return 'hello';
  }

  @Security(jwtBearer)
  @Subscription(() => String)
  ticks(@CurrentUser() user: JwtClaims) {
    return ticking(String(user.sub), 'ticks');
  }

  /** Its JwtValidator checks a store of its own, not the module's. */
  @Security(ownStoreBearer)
  @Subscription(() => String)
  ownStoreTicks(@CurrentUser() user: JwtClaims) {
    return ticking(String(user.sub), 'ownStoreTicks');
  }
}

interface Subscribed {
  events: { at: number; data: unknown }[];
  /** What the subscription's error callback received (graphql-ws reports a close to each active subscription). */
  errors: unknown[];
  /** The close the client saw, or 'still open' after `ms`. */
  closedWithin(ms: number): Promise<{ code: number; reason: string; at: number } | 'still open'>;
  ticked(count?: number): Promise<void>;
}

describe.each(GRAPHQL_PLATFORMS)('graphql-ws subscriptions end with their authorization (%s)', (platform) => {
  let app: INestApplication;
  let url: string;
  let store: RevocationStore;
  const clients: Client[] = [];
  const errorLogs: unknown[] = [];

  /** One graphql-ws client (one connection) with the token in connectionParams, running one subscription. */
  async function subscribe(token: string, field = 'ticks', firstEvent = true): Promise<Subscribed> {
    let onClosed!: (value: { code: number; reason: string; at: number }) => void;
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => (onClosed = resolve));
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string }; // getters of ws's CloseEvent
          onClosed({ code, reason, at: Date.now() });
        },
      },
    });
    clients.push(client);
    const events: Subscribed['events'] = [];
    const errors: unknown[] = [];
    const sink = { next: (data: unknown) => void events.push({ at: Date.now(), data }), error: (error: unknown) => void errors.push(error), complete: () => {} };
    client.subscribe({ query: `subscription { ${field} }` }, sink);
    const subscribed: Subscribed = {
      events,
      errors,
      closedWithin: async (ms) => {
        const result = await Promise.race([closed, sleep(ms).then(() => 'still open' as const)]);
        return result === 'still open' ? result : { code: result.code, reason: result.reason, at: result.at };
      },
      ticked: async (count = 1) => {
        while (events.length < count) await sleep(20);
      },
    };
    if (!firstEvent) return subscribed;
    await subscribed.ticked();
    expect(events[0].data).toEqual({ data: { [field]: expect.stringMatching(/ 1$/) } });
    return subscribed;
  }

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: jwtBearer, validator: jwt() },
            { scheme: ownStoreBearer, validator: jwt(ownStore) },
          ],
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          playground: false,
          subscriptions: { 'graphql-ws': true },
        }),
      ],
      providers: [TicksResolver],
    }).compile();
    app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1').replace('http', 'ws')}/graphql`;
    store = app.get(RevocationStore);
    jest.spyOn(Logger, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    expect(errorLogs).toEqual([]);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  it("closes the connection with 4401 'Token expired' by the token's exp; a subscription with a valid token keeps receiving", async () => {
    const expiring = sign({ sub: 'exp-user', exp: now() + 2 });
    const exp = claimsOf(expiring).exp * 1000;
    const [short, long] = await Promise.all([subscribe(expiring), subscribe(sign({ sub: 'valid-user' }))]);

    const closed = await short.closedWithin(exp - Date.now() + 1500);
    if (closed === 'still open') throw new Error(`the subscription outlived its token (${short.events.length} events)`);
    expect(closed).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(closed.at).toBeLessThanOrEqual(exp + 200);
    expect(closed.at).toBeGreaterThan(exp - 1000); // not closed early for nothing
    expect(short.events.length).toBeGreaterThan(3);
    expect(short.events.every((event) => event.at <= closed.at)).toBe(true);

    const before = long.events.length;
    await sleep(600);
    expect(await long.closedWithin(0)).toBe('still open');
    expect(long.events.length).toBeGreaterThan(before + 2);
  });

  it('refuses a subscription whose token expires within the sweep interval: its connection is closed with 4401, no event', async () => {
    const subscription = await subscribe(sign({ sub: 'late', exp: Date.now() / 1000 + 0.3 }), 'ticks', false);
    expect(await subscription.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(subscription.events).toEqual([]);
  });

  it("closes the connection with 4401 'Token revoked' within a second of revokeToken(jti, exp); another token of the user stays", async () => {
    const revoked = sign({ sub: 'rev-user' });
    const [target, other] = await Promise.all([subscribe(revoked), subscribe(sign({ sub: 'rev-user' }))]);
    const revokedAt = Date.now();
    await store.revokeToken(jtiOf(revoked), claimsOf(revoked).exp);
    const closed = await target.closedWithin(1500);
    if (closed === 'still open') throw new Error(`the subscription outlived the revocation (${target.events.length} events)`);
    expect(closed).toMatchObject({ code: 4401, reason: 'Token revoked' });
    expect(closed.at - revokedAt).toBeLessThan(1000);
    const count = target.events.length;
    await sleep(300);
    expect(target.events).toHaveLength(count); // no event after the close
    expect(target.errors.map((error) => (error as { code?: unknown }).code)).toEqual([4401]);
    expect(await other.closedWithin(0)).toBe('still open');
  });

  it('closes every subscription of a subject revoked with revokeSubject, within a second', async () => {
    const subscriptions = await Promise.all([subscribe(sign({ sub: 'gone' })), subscribe(sign({ sub: 'gone' }))]);
    const revokedAt = Date.now();
    await store.revokeSubject('gone', Date.now() / 1000, now() + 60);
    for (const subscription of subscriptions) {
      const closed = await subscription.closedWithin(1500);
      if (closed === 'still open') throw new Error('the subscription outlived the revocation');
      expect(closed).toMatchObject({ code: 4401, reason: 'Token revoked' });
      expect(closed.at - revokedAt).toBeLessThan(1000);
    }
  });

  it("checks the store of the subscription's validator when it has its own", async () => {
    const token = sign({ sub: 'own' });
    const subscription = await subscribe(token, 'ownStoreTicks');
    await ownStore.revokeToken(jtiOf(token), claimsOf(token).exp);
    expect(await subscription.closedWithin(1500)).toMatchObject({ code: 4401, reason: 'Token revoked' });
  });
});
