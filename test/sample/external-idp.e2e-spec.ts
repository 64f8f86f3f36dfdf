import type { Type } from '@nestjs/common';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readyMessage, trackChild } from '../utils/child-processes';
import { forbidden, ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

/**
 * The sample's external identity provider part: its development provider (sample/idp/dev-provider.mjs,
 * `npm run sample:idp`) in a child process, and the sample started with IDP_ISSUER pointing at it.
 */
const AUDIENCE = 'http://sample.test';

async function startDevProvider(): Promise<{ child: ChildProcess; issuer: string }> {
  const child = trackChild(
    fork(join(__dirname, '../../sample/idp/dev-provider.mjs'), [], {
      env: { ...process.env, IDP_PORT: '0', IDP_AUDIENCE: AUDIENCE },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const issuer = await readyMessage(child, 'the development provider');
  return { child, issuer };
}

interface Sample {
  AppModule: Type;
  configureApp: (app: never) => unknown;
}

/**
 * The sample's modules, loaded with IDP_ISSUER set: they read it when first imported, so nothing in
 * this file imports them before.
 */
function loadSample(issuer: string): Sample {
  const saved = { ...process.env };
  Object.assign(process.env, { IDP_ISSUER: issuer, IDP_AUDIENCE: AUDIENCE, SECRET_KEY: 'test-secret-key-for-the-external-idp-tests-0123456789' });
  try {
    return { AppModule: require('../../sample/app.module').AppModule, configureApp: require('../../sample/setup').configureApp };
  } finally {
    for (const key of ['IDP_ISSUER', 'IDP_AUDIENCE']) if (saved[key] === undefined) delete process.env[key];
  }
}

let provider: { child: ChildProcess; issuer: string };
let sample: Sample;
beforeAll(async () => {
  provider = await startDevProvider();
  sample = loadSample(provider.issuer);
});
afterAll(() => provider?.child.kill());

async function clientCredentialsToken(issuer: string, scope: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('sample-machine:sample-machine-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await response.json()) as { access_token: string };
  expect(response.status).toBe(200);
  return body.access_token;
}

describe.each(PLATFORMS)('Sample: external identity provider (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, { imports: [sample.AppModule] }, (app) => void sample.configureApp(app as never));
  });
  afterAll(() => t?.close());

  it('accepts a client-credentials token of the provider', async () => {
    const answer = await get('/idp/claims', await clientCredentialsToken(provider.issuer, 'read'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ sub: 'sample-machine', iss: provider.issuer, aud: AUDIENCE, scope: 'read' });
  });

  it('answers 403 insufficient_scope without write, 200 with it', async () => {
    expect(await get('/idp/write-check', await clientCredentialsToken(provider.issuer, 'read'))).toEqual(forbidden('write'));
    expect(await get('/idp/write-check', await clientCredentialsToken(provider.issuer, 'read write'))).toEqual(
      ok({ sub: 'sample-machine', canWrite: true }),
    );
  });

  it('refuses a token of the sample own login on these routes', async () => {
    const login = await t.http.post('/token').type('form').send({ username: 'johndoe', password: 'secret', scope: 'me' });
    expect((await get('/idp/claims', login.body.access_token)).challenge).toBe('Bearer error="invalid_token"');
  });

  it('documents both flows of the provider in the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json')).body as { components: { securitySchemes: Record<string, unknown> } };
    expect(document.components.securitySchemes.IdentityProvider).toEqual({
      type: 'oauth2',
      description: expect.any(String),
      flows: {
        authorizationCode: {
          authorizationUrl: `${provider.issuer}/auth`,
          tokenUrl: `${provider.issuer}/token`,
          scopes: { read: expect.any(String), write: expect.any(String) },
        },
      },
    });
    expect(document.components.securitySchemes.IdentityProviderMachine).toEqual({
      type: 'oauth2',
      description: expect.any(String),
      flows: { clientCredentials: { tokenUrl: `${provider.issuer}/token`, scopes: { read: expect.any(String), write: expect.any(String) } } },
    });
  });
});
