import argon2 from 'argon2';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PLATFORMS, type TestApp } from '../utils/platforms';
import { withEnv } from './env';
import { postToken, startSample } from './sample-app';

/** POST /token over a connection of its own, hung up (socket destroyed) after `hangUpAfterMs`. */
function loginThenHangUp(port: number, hangUpAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/token', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    req.on('error', () => resolve()); // the hang-up itself
    req.on('response', () => resolve()); // not expected: the line holds it longer than hangUpAfterMs
    req.end('username=johndoe&password=secret');
    setTimeout(() => req.destroy(), hangUpAfterMs);
  });
}

// One argon2 verification at a time: two logins ahead keep the line busy (about 2 x 150 ms and more),
// while three clients that queued behind them hang up. Their verifications must never run.
describe.each(PLATFORMS)('sample: a queued login whose client hung up is dropped before argon2 (%s)', (platform) => {
  let t: TestApp;
  let env: { restore(): void };
  let port: number;
  let verify: jest.SpyInstance;

  beforeAll(async () => {
    env = withEnv({ LOGIN_CONCURRENCY: '1', LOGIN_QUEUE: '8', LOGIN_LIMIT_PER_CLIENT: '1000', LOGIN_LIMIT_PER_USERNAME: '1000' });
    t = await startSample(platform);
    await new Promise<void>((resolve) => t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    verify?.mockRestore();
    await t.close();
    env.restore();
  });

  it('runs the verifications of the clients still there, and none of those that left', async () => {
    verify = jest.spyOn(argon2, 'verify'); // counts the real verifications, and runs them
    // `.then` sends a supertest request now (it is lazy otherwise).
    const send = (fields: Record<string, string>) => postToken(t.http, fields).then((response) => response);
    const ahead = [send({ username: 'johndoe', password: 'secret' }), send({ username: 'johndoe', password: 'secret' })];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const leavers = [loginThenHangUp(port, 60), loginThenHangUp(port, 60), loginThenHangUp(port, 60)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = send({ username: 'johndoe', password: 'wrong' });
    await Promise.all(leavers);

    const answers = await Promise.all([...ahead, after]);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 400]); // those that stayed were served, in order
    expect(verify).toHaveBeenCalledTimes(3); // the three that stayed; the three that left never reached argon2
    verify.mockRestore();
  });
});
