import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { withEnv } from './env';
import { startSample } from './sample-app';

/** Opens a connection, sends `head`, then one byte every 100 ms; resolves with what came back and when the server closed. */
function trickle(port: number, head: string, byte: string, giveUpMs: number): Promise<{ closedAfterMs: number | null; answer: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let answer = '';
    let timer: NodeJS.Timeout;
    const finish = (closedAfterMs: number | null) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, answer: answer.split('\r\n')[0] });
    };
    const giveUp = setTimeout(() => finish(null), giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.write(byte), 100);
    });
    socket.on('data', (data) => (answer += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(Date.now() - started));
  });
}

describe.each(PLATFORMS)('sample: server timeouts close slow clients (%s)', (platform) => {
  let t: TestApp;
  let port: number;
  let env: { restore(): void };
  beforeAll(async () => {
    env = withEnv({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500', KEEP_ALIVE_TIMEOUT_MS: '500' });
    t = await startSample(platform);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    env.restore();
  });

  it('a body sent a byte at a time gets 408 and is closed after REQUEST_TIMEOUT_MS (1 s here, 5 min by default in Node)', async () => {
    const head = 'POST /token HTTP/1.1\r\nHost: sample\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n';
    const result = await trickle(port, head, 'a', 6000);
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeLessThan(3000);
    expect(result.answer).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('headers sent a byte at a time are closed after HEADERS_TIMEOUT_MS', async () => {
    const result = await trickle(port, 'GET /status HTTP/1.1\r\nHost: sample\r\nX-Slow: ', 'a', 6000);
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeLessThan(3000);
  });
});
