import { Logger, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { PLATFORMS } from '../utils/platforms';
import { bearer } from '../utils/tokens';
import { TestClient } from './client';
import { GATEWAY_PROVIDERS, gatewayModules, SecureGateway } from './gateway-app';

const NOT_AUTHENTICATED = { status: 'error', statusCode: 401, message: 'Not authenticated' };

describe.each(PLATFORMS)('WebSocket gateways on platform-ws (%s)', (platform) => {
  let app: INestApplication;
  let base: string;
  const clients: TestClient[] = [];
  const errorLogs: unknown[] = [];
  const connect = (path: string, headers?: Record<string, string>) => {
    const client = new TestClient(`${base}${path}`, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: gatewayModules(), providers: GATEWAY_PROVIDERS }).compile();
    app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('http', 'ws').replace('[::1]', '127.0.0.1');
    jest.spyOn(Logger, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    expect(errorLogs).toEqual([]);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  describe('gateway-level requirement (checked at connect time)', () => {
    it('accepts a client whose handshake carries a valid token; handlers read the principal', async () => {
      const client = connect('/secure', bearer('alice'));
      expect(await client.request('whoami')).toEqual({ event: 'whoami', data: { sub: 'alice', required: [] } });
      expect(app.get(SecureGateway).connected).toContain('Bearer alice;');
    });

    it('closes a client without credentials with 4401 before the gateway sees it', async () => {
      const client = connect('/secure');
      expect(await client.closed).toEqual({ code: 4401, reason: 'Not authenticated' });
      expect(app.get(SecureGateway).connected).not.toContain('(none)');
    });

    it('closes a client whose token the validator rejects with 4401', async () => {
      expect(await connect('/secure', bearer('rejected')).closed).toEqual({ code: 4401, reason: 'Not authenticated' });
    });
  });

  it('closes a client whose token lacks a gateway-level scope with 4403', async () => {
    expect(await connect('/scoped', bearer('frank', ['other'])).closed).toEqual({ code: 4403, reason: 'Not enough permissions' });
    expect(await connect('/scoped', bearer('frank', ['chat'])).request('whoami')).toEqual({
      event: 'whoami',
      data: { sub: 'frank', required: ['chat'] },
    });
  });

  describe('handler-level requirement (checked per message)', () => {
    it('answers a missing scope with a 403 exception event and keeps the connection open', async () => {
      const client = connect('/secure', bearer('bob', ['chat:read']));
      expect(await client.request('post', 'hi')).toEqual({
        event: 'exception',
        data: { status: 'error', statusCode: 403, message: 'Not enough permissions', pattern: 'post', scopes: ['chat:write'] },
      });
      expect(client.isOpen).toBe(true);
      expect(await client.request('whoami')).toEqual({ event: 'whoami', data: { sub: 'bob', required: [] } });
    });

    it('runs the handler when the scope is granted', async () => {
      const client = connect('/secure', bearer('bob', ['chat:write']));
      expect(await client.request('post', 'hi')).toEqual({ event: 'posted', data: 'bob: hi' });
    });

    it('answers a missing credential with a 401 exception event on an open gateway', async () => {
      const client = connect('/open');
      expect(await client.request('public')).toEqual({ event: 'public', data: 'hello' });
      expect(await client.request('read')).toEqual({ event: 'exception', data: { ...NOT_AUTHENTICATED, pattern: 'read' } });
      expect(client.isOpen).toBe(true);
    });

    it('answers a rejected token with 401 and a missing scope with 403', async () => {
      expect(await connect('/open', bearer('rejected', ['chat:read'])).request('read')).toEqual({
        event: 'exception',
        data: { ...NOT_AUTHENTICATED, pattern: 'read' },
      });
      expect(await connect('/open', bearer('carol')).request('read')).toMatchObject({
        event: 'exception',
        data: { statusCode: 403, scopes: ['chat:read'] },
      });
      expect(await connect('/open', bearer('carol', ['chat:read'])).request('read')).toEqual({
        event: 'read',
        data: { sub: 'carol', required: ['chat:read'] },
      });
    });

    it('reads an API key from the handshake query string and from a cookie', async () => {
      expect(await connect('/open?api_key=key-q').request('query-key')).toEqual({
        event: 'query-key',
        data: { sub: 'key-q', required: [], credentials: 'key-q' },
      });
      expect(await connect('/open', { Cookie: 'theme=dark; session=key-c' }).request('cookie-key')).toEqual({
        event: 'cookie-key',
        data: { sub: 'key-c', required: [], credentials: 'key-c' },
      });
      expect(await connect('/open?api_key=nope').request('query-key')).toMatchObject({ data: { statusCode: 401 } });
    });

    it('optional: an anonymous message runs with a null principal; a token is still validated', async () => {
      expect(await connect('/open').request('maybe')).toEqual({ event: 'maybe', data: { sub: null, required: [] } });
      expect(await connect('/open', bearer('dan')).request('maybe')).toEqual({ event: 'maybe', data: { sub: 'dan', required: [] } });
      expect(await connect('/open', bearer('rejected')).request('maybe')).toMatchObject({ data: { statusCode: 401 } });
    });

    it('alternatives: an admin token or an API key passes', async () => {
      expect(await connect('/open', bearer('root', ['admin'])).request('admin-or-key')).toEqual({
        event: 'admin-or-key',
        data: { sub: 'root', required: ['admin'] },
      });
      expect(await connect('/open', { 'X-API-Key': 'key-h' }).request('admin-or-key')).toEqual({
        event: 'admin-or-key',
        data: { sub: 'key-h', required: [] },
      });
      expect(await connect('/open').request('admin-or-key')).toEqual({
        event: 'exception',
        data: { ...NOT_AUTHENTICATED, pattern: 'admin-or-key' },
      });
    });

    it('@SkipSecurity() on a handler of a secured gateway still needs the connection to pass', async () => {
      expect(await connect('/secure', bearer('erin')).request('ping')).toEqual({ event: 'pong', data: 'pong' });
      expect((await connect('/secure').closed).code).toBe(4401);
    });
  });
});
