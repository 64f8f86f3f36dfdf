import jwt from 'jsonwebtoken';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../sample/app.module';
import { configureApp } from '../../sample/setup';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';

/** The signing secret the sample reads from SECRET_KEY in these tests, so that tests can make their own tokens. */
export const TEST_SECRET_KEY = 'test-secret-key-for-the-sample-e2e-tests-0123456789';

/** The sample app, built as main.ts builds it (AppModule + configureApp), on one platform. */
export function startSample(platform: Platform): Promise<TestApp> {
  process.env.SECRET_KEY = TEST_SECRET_KEY;
  return createTestApp(platform, { imports: [AppModule] }, (app) => void configureApp(app));
}

/** POST /token with the password form. */
export function postToken(http: TestAgent, fields: Record<string, string>) {
  return http.post('/token').type('form').send(fields);
}

/** Logs in and returns the access token; fails the test when the login does. */
export async function login(http: TestAgent, username: string, password: string, scope = ''): Promise<string> {
  const response = await postToken(http, { username, password, scope }).expect(200);
  return response.body.access_token;
}

/** A token signed like the sample's (HS256, test secret) with any claims; `exp` defaults to +30 minutes. */
export function signToken(claims: Record<string, unknown>, secret = TEST_SECRET_KEY, algorithm: jwt.Algorithm = 'HS256'): string {
  return jwt.sign({ exp: Math.floor(Date.now() / 1000) + 1800, ...claims }, secret, { algorithm, noTimestamp: true });
}

export const bearer = (token: string) => `Bearer ${token}`;
