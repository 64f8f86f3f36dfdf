import type { ExecutionContext } from '@nestjs/common';
import { rememberHandshake, websocketRequest } from '../../lib/transports/websocket';

// The handshake's query string, read as a request's query: every parameter name is a plain entry, `__proto__`
// included, and the object has no prototype a parameter could replace.

const message = (client: object) => ({ getArgs: () => [client, {}, 'event'] }) as unknown as ExecutionContext;

function queryOf(url: string): Record<string, unknown> {
  const client = {};
  rememberHandshake(client, { headers: {}, url });
  return websocketRequest(message(client)).query as Record<string, unknown>;
}

describe('WebSocket handshake query', () => {
  it('keeps __proto__ (once or repeated) as an entry and never gets a prototype from it', () => {
    for (const url of ['/chat?__proto__=a&__proto__=b&api_key=key-1', '/chat?__proto__=a&api_key=key-1']) {
      const query = queryOf(url);
      expect(Object.getPrototypeOf(query)).toBeNull();
      expect(Object.keys(query).sort()).toEqual(['__proto__', 'api_key']);
      expect(query['1']).toBeUndefined(); // with an array prototype, "1" read "a" from it
    }
    expect(queryOf('/chat?__proto__=a&__proto__=b')['__proto__']).toEqual(['a', 'b']);
    expect(queryOf('/chat?__proto__=a')['__proto__']).toBe('a');
  });

  it('still collects repeated parameters into an array, in order', () => {
    expect({ ...queryOf('/chat?tag=x&tag=y&tag=z&one=1') }).toEqual({ tag: ['x', 'y', 'z'], one: '1' });
  });
});
