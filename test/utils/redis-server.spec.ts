import Redis from 'ioredis';
import { describeWithRedis, startRedisServer, type RedisServer } from './redis-server';

describeWithRedis('redis-server for tests', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());

  test('starts empty on a free port, and restarts empty after a kill', async () => {
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.disconnect();
    await server.restart();
    const again = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await again.connect();
    expect(await again.get('k')).toBeNull();
    again.disconnect();
  });
});
