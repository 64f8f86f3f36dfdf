import type { TestingModuleBuilder } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../sample/app.module';
import { configureApp } from '../../sample/setup';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';

/** The signing secret the sample reads from SECRET_KEY in these tests, so that tests can make their own tokens. */
export const TEST_SECRET_KEY = 'test-secret-key-for-the-sample-e2e-tests-0123456789';

/** The sample app, built as main.ts builds it (AppModule + configureApp), on one platform; `override` changes providers. */
export function startSample(platform: Platform, override?: (builder: TestingModuleBuilder) => TestingModuleBuilder): Promise<TestApp> {
  process.env.SECRET_KEY = TEST_SECRET_KEY;
  return createTestApp(platform, { imports: [AppModule] }, (app) => void configureApp(app), override);
}

/** POST /token with the password form. */
export function postToken(http: TestAgent, fields: Record<string, string>) {
  return http.post('/token').type('form').send(fields);
}

/** Logs in and returns the token response (access_token, refresh_token...); fails the test when the login does. */
export async function loginPair(http: TestAgent, username: string, password: string, scope = ''): Promise<{ access_token: string; refresh_token: string }> {
  return (await postToken(http, { username, password, scope }).expect(200)).body;
}

/** POST /token with the refresh-token grant. */
export function postRefresh(http: TestAgent, refreshToken: string, scope?: string) {
  return postToken(http, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) });
}

/** Logs in and returns the access token; fails the test when the login does. */
export async function login(http: TestAgent, username: string, password: string, scope = ''): Promise<string> {
  const response = await postToken(http, { username, password, scope }).expect(200);
  return response.body.access_token;
}

/**
 * An access token signed like the sample's (HS256, test secret, `typ: at+jwt`) with any claims; `exp`
 * defaults to +30 minutes, `jti` and `sid` to random ids. `typ` sets another type header (`rt+jwt`, `JWT`).
 */
export function signToken(claims: Record<string, unknown>, secret = TEST_SECRET_KEY, algorithm: jwt.Algorithm = 'HS256', typ = 'at+jwt'): string {
  const defaults = { exp: Math.floor(Date.now() / 1000) + 1800, jti: randomUUID(), sid: randomUUID() };
  return jwt.sign({ ...defaults, ...claims }, secret, { algorithm, noTimestamp: true, header: { alg: algorithm, typ } });
}

export const bearer = (token: string) => `Bearer ${token}`;
