import { Logger } from '@nestjs/common';
import { bearer } from '../utils/tokens';
import { GRAPHQL_PLATFORMS, startGraphQLServer, type GraphQLServer } from './server';

const UNAUTHENTICATED = { message: 'Not authenticated', code: 'UNAUTHENTICATED' };

/** The first error of a result, reduced to what the tests look at. */
function firstError(result: { body: { errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] } }) {
  const error = result.body.errors?.[0];
  return error && { message: error.message, path: error.path, code: error.extensions?.code, scopes: error.extensions?.scopes };
}

describe.each(GRAPHQL_PLATFORMS)('GraphQL over HTTP and graphql-ws (%s)', (platform) => {
  let server: GraphQLServer;
  const errorLogs: unknown[] = [];

  beforeAll(async () => {
    server = await startGraphQLServer(platform);
    // The application's logger is off; Nest's static loggers (exception handlers) still report here.
    jest.spyOn(Logger, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void errorLogs.push(args));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await server.close();
  });
  afterEach(() => expect(errorLogs).toEqual([]));

  describe('query', () => {
    it('resolves with a token that grants the scope', async () => {
      const result = await server.post('{ items { name } }', bearer('alice', ['items:read']));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ data: { items: [{ name: 'hammer' }, { name: 'saw' }] } });
      expect(result.challenge).toBeNull();
    });

    it('answers UNAUTHENTICATED with the challenge header when the token is missing, and still resolves the other fields', async () => {
      const result = await server.post('{ hello items { name } }');
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ hello: 'hello', items: null });
      expect(firstError(result)).toEqual({ ...UNAUTHENTICATED, path: ['items'], scopes: undefined });
      expect(result.challenge).toBe('Bearer');
    });

    it('answers UNAUTHENTICATED when the validator rejects the token', async () => {
      const result = await server.post('{ hello items { name } }', bearer('rejected', ['items:read']));
      expect(result.body.data).toEqual({ hello: 'hello', items: null });
      expect(firstError(result)).toMatchObject(UNAUTHENTICATED);
      expect(result.challenge).toBe('Bearer');
    });

    it('answers FORBIDDEN with the required scopes when a scope is missing', async () => {
      const result = await server.post('{ hello items { name } }', bearer('alice', ['other']));
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ hello: 'hello', items: null });
      expect(firstError(result)).toEqual({ message: 'Not enough permissions', path: ['items'], code: 'FORBIDDEN', scopes: ['items:read'] });
      expect(result.challenge).toBe('Bearer error="insufficient_scope", scope="items:read"');
    });
  });

  describe('mutation', () => {
    const mutation = 'mutation { addItem(name: "drill") { name } }';

    it('runs with the scope, and @CurrentUser() reads the principal', async () => {
      const result = await server.post(mutation, bearer('bob', ['items:write']));
      expect(result.body).toEqual({ data: { addItem: { name: 'drill (by bob)' } } });
    });

    it('is refused without a token or without the scope', async () => {
      expect(firstError(await server.post(mutation))).toMatchObject(UNAUTHENTICATED);
      expect(firstError(await server.post(mutation, bearer('bob', ['items:read'])))).toMatchObject({
        code: 'FORBIDDEN',
        scopes: ['items:write'],
      });
    });
  });

  describe('field resolver', () => {
    it('refuses only the guarded field of each item', async () => {
      const result = await server.post('{ items { name owner } }', bearer('alice', ['items:read']));
      expect(result.body.data).toEqual({ items: [{ name: 'hammer', owner: null }, { name: 'saw', owner: null }] });
      expect(result.body.errors?.map((error) => [error.path, error.extensions?.code, error.extensions?.scopes])).toEqual([
        [['items', 0, 'owner'], 'FORBIDDEN', ['items:owner']],
        [['items', 1, 'owner'], 'FORBIDDEN', ['items:owner']],
      ]);
    });

    it('resolves the field, each call checked with its own scopes', async () => {
      const result = await server.post('{ items { name owner } }', bearer('alice', ['items:read', 'items:owner']));
      expect(result.body).toEqual({
        data: { items: [{ name: 'hammer', owner: 'alice owns hammer' }, { name: 'saw', owner: 'alice owns saw' }] },
      });
    });
  });

  describe('optional and alternatives', () => {
    it('optional: an anonymous call resolves with a null principal', async () => {
      const result = await server.post('{ maybe { sub required credentials } }');
      expect(result.body).toEqual({ data: { maybe: { sub: null, required: [], credentials: null } } });
    });

    it('optional: a token is still validated', async () => {
      expect((await server.post('{ maybe { sub credentials } }', bearer('carol'))).body).toEqual({
        data: { maybe: { sub: 'carol', credentials: 'carol;' } },
      });
      expect(firstError(await server.post('{ maybe { sub } }', bearer('rejected')))).toMatchObject(UNAUTHENTICATED);
    });

    it('alternatives: an admin token or an API key passes; neither is UNAUTHENTICATED with both challenges', async () => {
      expect((await server.post('{ adminOrKey { sub required } }', bearer('root', ['admin']))).body).toEqual({
        data: { adminOrKey: { sub: 'root', required: ['admin'] } },
      });
      expect((await server.post('{ adminOrKey { sub credentials } }', { 'X-API-Key': 'key-42' })).body).toEqual({
        data: { adminOrKey: { sub: 'key-42', credentials: 'key-42' } },
      });
      const none = await server.post('{ adminOrKey { sub } }');
      expect(firstError(none)).toMatchObject(UNAUTHENTICATED);
      expect(none.challenge).toBe('Bearer, APIKey');
      expect(firstError(await server.post('{ adminOrKey { sub } }', { 'X-API-Key': 'wrong' }))).toMatchObject(UNAUTHENTICATED);
    });
  });

  describe('resolver class requirements', () => {
    it('apply to every handler, merged with the handler own scopes', async () => {
      expect((await server.post('{ report { sub required } }', bearer('dan', ['reports']))).body).toEqual({
        data: { report: { sub: 'dan', required: ['reports'] } },
      });
      expect(firstError(await server.post('{ report { sub } }'))).toMatchObject(UNAUTHENTICATED);
      expect(firstError(await server.post('mutation { writeReport { sub } }', bearer('dan', ['reports'])))).toMatchObject({
        code: 'FORBIDDEN',
        scopes: ['reports', 'reports:write'],
      });
      expect((await server.post('mutation { writeReport { required } }', bearer('dan', ['reports', 'reports:write']))).body).toEqual({
        data: { writeReport: { required: ['reports', 'reports:write'] } },
      });
    });

    it('@SkipSecurity() opts a handler out', async () => {
      expect((await server.post('{ reportsStatus }')).body).toEqual({ data: { reportsStatus: 'up' } });
    });
  });

  describe('subscription over graphql-ws', () => {
    const subscription = 'subscription { events }';

    it('starts with an Authorization value in connectionParams', async () => {
      const payloads = await server.subscribe(subscription, bearer('erin', ['events:read']));
      expect(payloads).toEqual([{ data: { events: 'first event for erin' } }]);
    });

    it('reads the header name case-insensitively', async () => {
      const payloads = await server.subscribe(subscription, { authorization: 'Bearer erin;events:read' });
      expect(payloads).toEqual([{ data: { events: 'first event for erin' } }]);
    });

    it('is refused with UNAUTHENTICATED without credentials or with a rejected token', async () => {
      for (const params of [undefined, bearer('rejected', ['events:read'])]) {
        const [payload] = (await server.subscribe(subscription, params)) as { errors: { message: string; extensions: unknown }[] }[];
        expect(payload.errors.map((error) => [error.message, error.extensions])).toEqual([
          ['Not authenticated', { code: 'UNAUTHENTICATED' }],
        ]);
      }
    });

    it('is refused with FORBIDDEN and the required scopes without the scope', async () => {
      const [payload] = (await server.subscribe(subscription, bearer('erin'))) as { errors: { extensions: unknown }[] }[];
      expect(payload.errors[0].extensions).toEqual({ code: 'FORBIDDEN', scopes: ['events:read'] });
    });

    it('reads an API key by its header name from connectionParams (the other alternative)', async () => {
      expect(await server.subscribe(subscription, { 'X-API-Key': 'key-1' })).toEqual([{ data: { events: 'first event for key-1' } }]);
      const [payload] = (await server.subscribe(subscription, { 'X-API-Key': 'nope' })) as { errors: { extensions: unknown }[] }[];
      expect(payload.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
    });
  });
});
