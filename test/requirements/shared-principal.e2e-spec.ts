import { Controller, Get, type INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CurrentClaims,
  CurrentUser,
  grant,
  HTTPBearer,
  IntrospectionValidator,
  JwtValidator,
  MultiIssuerValidator,
  Security,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { craftJws, now } from '../jwt/craft';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';

// A principal object shared between requests (a user from a map, a user cache) must never carry one
// token's scopes or claims into another token's request. Two tokens of the same user, sent at the same
// time: the weaker one must be refused as if it were alone. Each validator turns claims into the SAME
// user object through a single-flight look-up, so that the two requests settle in the same turn.

const SECRET = Buffer.from('a-local-secret-of-at-least-32-bytes-for-hs256!');
const ISSUER = 'https://issuer.test';
const bearer = new HTTPBearer({ schemeName: 'bearer' });

interface User {
  readonly name: string;
}
/** One object per user, shared by every request of that user. */
const users = new Map<string, User>([['alice', { name: 'alice' }]]);
/** A single-flight look-up (as a user cache does): concurrent requests of one user share one promise. */
const lookups = new Map<string, Promise<User | undefined>>();
const sharedUser = (claims: { sub?: unknown }): Promise<User | undefined> => {
  const sub = String(claims.sub);
  let lookup = lookups.get(sub);
  if (!lookup) {
    lookup = new Promise((resolve) => setImmediate(resolve)).then(() => users.get(sub));
    lookups.set(sub, lookup);
    void lookup.then(() => lookups.delete(sub));
  }
  return lookup;
};

const jwt = (claims: Record<string, unknown>) =>
  craftJws({ alg: 'HS256', typ: 'JWT' }, { iss: ISSUER, sub: 'alice', exp: now() + 600, ...claims }, SECRET);
/** The weaker and the stronger token of each pair, as JWTs (the introspection endpoint knows them by these values too). */
const TOKENS = {
  read: jwt({ scope: 'read', acr: 'urn:pwd', jti: 'read' }),
  admin: jwt({ scope: 'read admin', acr: 'urn:pwd', jti: 'admin' }),
  password: jwt({ scope: 'read', acr: 'urn:pwd', jti: 'password' }),
  mfa: jwt({ scope: 'read', acr: 'urn:mfa', jti: 'mfa' }),
};
const ANSWERS = new Map(
  Object.entries(TOKENS).map(([, token]) => [token, JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())]),
);

@Controller()
class AccountController {
  @Security(bearer, ['admin'])
  @Get('admin')
  admin(@CurrentUser('name') name: string, @CurrentClaims('jti') jti: string) {
    return { name, jti };
  }

  @Security(bearer, { acrValues: ['urn:mfa'] })
  @Get('mfa')
  mfa(@CurrentUser('name') name: string, @CurrentClaims('jti') jti: string) {
    return { name, jti };
  }
}

/** The application's own validator: looks the user up, grants the token's scopes and claims for this call. */
class OwnValidator implements SecurityValidator<HTTPAuthorizationCredentials, User> {
  async validate({ credentials }: HTTPAuthorizationCredentials) {
    const claims = ANSWERS.get(credentials);
    if (!claims) return null;
    const user = await sharedUser(claims);
    return user && grant(user, { scopes: String(claims.scope).split(' '), claims });
  }
}

let introspection: Server;
let introspectionUrl: string;

beforeAll(async () => {
  introspection = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const claims = ANSWERS.get(new URLSearchParams(body).get('token') ?? '');
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(claims ? { active: true, ...claims } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', resolve));
  introspectionUrl = `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`;
});
afterAll(() => new Promise((resolve) => introspection.close(resolve)));

const VALIDATORS: Record<string, () => SecurityValidator> = {
  JwtValidator: () => new JwtValidator({ key: SECRET, algorithms: ['HS256'], issuer: ISSUER, toPrincipal: sharedUser }),
  IntrospectionValidator: () =>
    new IntrospectionValidator({ issuer: ISSUER, endpoint: introspectionUrl, clientId: 'api', clientSecret: 'api-secret', toPrincipal: sharedUser }),
  MultiIssuerValidator: () =>
    new MultiIssuerValidator({
      issuers: [{ issuer: 'https://other.test', key: SECRET, algorithms: ['HS256'] }, { issuer: ISSUER, key: SECRET, algorithms: ['HS256'] }],
      toPrincipal: sharedUser,
    }),
  "the application's own validator": () => new OwnValidator(),
};

/** Sends one request; Fastify through inject (in process), Express over a keep-alive HTTP connection. */
type Send = (path: string, token: string) => Promise<{ status: number; body: { jti?: string } }>;

function sender(platform: Platform, app: INestApplication, base: string): Send {
  if (platform === 'fastify') {
    const fastify = app.getHttpAdapter().getInstance();
    return async (url, token) => {
      const response = await fastify.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      return { status: response.statusCode, body: response.json() };
    };
  }
  return async (url, token) => {
    const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { jti?: string } };
  };
}

/**
 * `pairs` pairs on each route, `batch` pairs at a time: the weaker token beside the stronger one. Returns
 * how many weaker requests got in (escalations), and checks that every stronger one did, as itself.
 */
async function race(send: Send, pairs: number, batch: number): Promise<{ escalations: number; strongerRefused: number }> {
  let escalations = 0;
  let strongerRefused = 0;
  const one = async (path: string, weaker: string, stronger: string, jti: string) => {
    const [weak, strong] = await Promise.all([send(path, weaker), send(path, stronger)]);
    if (weak.status < 300) escalations++;
    if (strong.status !== 200 || strong.body.jti !== jti) strongerRefused++;
  };
  for (let done = 0; done < pairs; done += batch) {
    const size = Math.min(batch, pairs - done);
    const work: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      work.push(i % 2 === 0 ? one('/admin', TOKENS.read, TOKENS.admin, 'admin') : one('/mfa', TOKENS.password, TOKENS.mfa, 'mfa'));
    }
    await Promise.all(work);
  }
  return { escalations, strongerRefused };
}

const RUNS: [Platform, number][] = [
  ['fastify', 10_000],
  ['express', 2_000],
];

describe.each(RUNS)('a principal object shared between concurrent requests (%s, %i pairs)', (platform, pairs) => {
  describe.each(Object.keys(VALIDATORS))('%s', (name) => {
    let t: TestApp;
    let send: Send;

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: VALIDATORS[name]() }] })],
        controllers: [AccountController],
      });
      let base = '';
      if (platform === 'express') {
        await t.app.listen(0, '127.0.0.1');
        base = await t.app.getUrl();
      }
      send = sender(platform, t.app, base);
    });
    afterAll(() => t.close());

    it('alone, the weaker token is refused and the stronger one passes', async () => {
      expect((await send('/admin', TOKENS.read)).status).toBe(403);
      expect((await send('/mfa', TOKENS.password)).status).toBe(401);
      expect(await send('/admin', TOKENS.admin)).toEqual({ status: 200, body: { name: 'alice', jti: 'admin' } });
      expect(await send('/mfa', TOKENS.mfa)).toEqual({ status: 200, body: { name: 'alice', jti: 'mfa' } });
    });

    it('sent beside the stronger token, the weaker one is still refused: 0 escalations', async () => {
      expect(await race(send, pairs, 50)).toEqual({ escalations: 0, strongerRefused: 0 });
    }, 120_000);
  });
});
