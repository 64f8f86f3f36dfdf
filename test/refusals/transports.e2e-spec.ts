import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import type { SecurityRefusal } from 'nestjs-security-schemes';
import { startGraphQLServer, type GraphQLServer } from '../graphql/server';
import { TestClient } from '../websockets/client';
import { GATEWAY_PROVIDERS, gatewayModules } from '../websockets/gateway-app';
import { CaptureLogger } from '../utils/capture-logger';
import { PLATFORMS } from '../utils/platforms';
import { bearer } from '../utils/tokens';

type Seen = Omit<SecurityRefusal, 'context'> & { transport: string };
const keep = (seen: Seen[]) => ({ context, ...refusal }: SecurityRefusal) => void seen.push({ ...refusal, transport: context.getType() });
const refusalLines = (logger: CaptureLogger) => logger.messages('debug', 'SecurityGuard').filter((line) => line.startsWith('Refused '));

describe.each(PLATFORMS)('GraphQL refusals reach onRefusal and the debug log (%s)', (platform) => {
  let server: GraphQLServer;
  const seen: Seen[] = [];
  const logger = new CaptureLogger();

  beforeAll(async () => {
    server = await startGraphQLServer(platform, keep(seen));
    server.app.useLogger(logger);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    seen.length = 0;
    logger.clear();
  });

  it('a query without a token: credentials_missing', async () => {
    await server.post('{ items { name } }');
    expect(seen).toEqual([
      { reason: 'credentials_missing', status: 401, schemes: ['HTTPBearer'], handler: 'ItemsResolver.items', transport: 'graphql' },
    ]);
    expect(refusalLines(logger)).toEqual(['Refused GraphQL Query.items (ItemsResolver.items) with 401, scheme "HTTPBearer": credentials_missing']);
  });

  it('a mutation with a token that lacks the scope: scope_missing', async () => {
    await server.post('mutation { addItem(name: "drill") { name } }', bearer('alice', ['items:read']));
    expect(seen).toEqual([
      { reason: 'scope_missing', status: 403, schemes: ['HTTPBearer'], handler: 'ItemsResolver.addItem', transport: 'graphql' },
    ]);
  });
});

describe.each(PLATFORMS)('WebSocket refusals reach onRefusal and the debug log (%s)', (platform) => {
  let app: INestApplication;
  let base: string;
  const seen: Seen[] = [];
  const logger = new CaptureLogger();
  const clients: TestClient[] = [];
  const connect = (path: string, headers?: Record<string, string>) => {
    const client = new TestClient(`${base}${path}`, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: gatewayModules(keep(seen)), providers: GATEWAY_PROVIDERS }).compile();
    app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    app.useLogger(logger);
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await app.close();
  });
  beforeEach(() => {
    seen.length = 0;
    logger.clear();
  });

  it('a refused connection: principal_refused', async () => {
    expect((await connect('/secure', bearer('rejected')).closed).code).toBe(4401);
    expect(seen).toEqual([
      { reason: 'principal_refused', status: 401, schemes: ['HTTPBearer'], handler: 'SecureGateway.handleConnection', transport: 'ws' },
    ]);
    expect(refusalLines(logger)).toEqual([
      'Refused WebSocket connection (SecureGateway.handleConnection) with 401, scheme "HTTPBearer": principal_refused',
    ]);
  });

  it('a refused message: scope_missing, the connection stays open', async () => {
    const client = connect('/secure', bearer('alice'));
    expect((await client.request('post', 'hello')).data).toMatchObject({ statusCode: 403 });
    expect(client.isOpen).toBe(true);
    expect(seen).toEqual([{ reason: 'scope_missing', status: 403, schemes: ['HTTPBearer'], handler: 'SecureGateway.post', transport: 'ws' }]);
    expect(refusalLines(logger)).toEqual(['Refused WebSocket message "post" (SecureGateway.post) with 403, scheme "HTTPBearer": scope_missing']);
  });
});
