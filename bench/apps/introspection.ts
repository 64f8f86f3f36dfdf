import { Controller, Get, Module, type Type } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  CurrentUser,
  IntrospectionValidator,
  MultiIssuerValidator,
  OAuth2ClientCredentialsBearer,
  Security,
  SecuritySchemesModule,
  type TrustedIssuer,
} from 'nestjs-security-schemes';
import { itemsOf, USERNAME } from '../fixtures';
import { JWKS_AUDIENCE, JWKS_ISSUER, startJwksServer } from './jwks-fixtures';

// Scenarios 14-16: tokens of identity providers beyond one issuer's JWTs, scopes `me items` required.
// 14: an opaque token checked at a local RFC 7662 introspection endpoint, IntrospectionValidator, cache hit;
// 15: a new token on every request, so every request is introspected (no cache hit, no shared call); the
//     endpoint runs in the server process and reports its own time from request to answer (the report's note),
//     so the row's CPU is the validator's client side plus that endpoint;
// 16: RS256 JWTs from a JWKS (as scenario 10), but the route trusts 20 issuers (MultiIssuerValidator), cache hit.

const REQUIRED_SCOPES = ['me', 'items'];
export const OPAQUE_ISSUER = 'https://opaque-idp.bench.test';
/** The opaque access token the runner sends (scenario 15 adds a counter to it); the endpoint knows them as active. */
export const OPAQUE_TOKEN = 'bench-opaque-access-token-4Yb3X1uGvCz9qTj0rWsP2kLm';
const CLIENT_ID = 'bench-api';
const CLIENT_SECRET = 'bench-api-secret-of-some-length';

/** Time spent by the introspection endpoint, from a request reaching it to its answer written, in µs. */
export const introspectionEndpoint = { timeUs: 0, requests: 0 };

/** Serves an introspection endpoint (client_secret_basic) on a free local port; returns its URL. */
async function startIntrospectionServer(): Promise<string> {
  const expected = Buffer.from(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
  const server = createServer((request, response) => {
    const started = performance.now();
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const authorization = Buffer.from(request.headers.authorization ?? '');
      const authenticated = authorization.length === expected.length && timingSafeEqual(authorization, expected);
      response.setHeader('content-type', 'application/json');
      if (!authenticated) {
        response.statusCode = 401;
        response.end('{"error":"invalid_client"}');
      } else {
        const token = new URLSearchParams(body).get('token');
        const now = Math.floor(Date.now() / 1000);
        response.end(
          JSON.stringify(
            token?.startsWith(OPAQUE_TOKEN)
              ? { active: true, iss: OPAQUE_ISSUER, sub: USERNAME, client_id: 'bench-client', scope: 'me items', aud: JWKS_AUDIENCE, iat: now, exp: now + 7200, token_type: 'Bearer' }
              : { active: false },
          ),
        );
      }
      introspectionEndpoint.requests++;
      introspectionEndpoint.timeUs += (performance.now() - started) * 1000;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
}

function itemsModule(validatorFactory: () => Promise<object>): Type {
  const scheme = new OAuth2ClientCredentialsBearer({ tokenUrl: `${OPAQUE_ISSUER}/token`, scopes: { me: 'Me.', items: 'Items.' } });

  @Controller('users')
  class ItemsController {
    @Get('me/items/')
    @Security(scheme, REQUIRED_SCOPES)
    items(@CurrentUser() claims: { sub: string }) {
      return itemsOf(claims.sub);
    }
  }

  @Module({
    imports: [SecuritySchemesModule.forRootAsync({ useFactory: async () => ({ schemes: [{ scheme, validator: (await validatorFactory()) as never }] }) })],
    controllers: [ItemsController],
  })
  class ItemsModule {}
  return ItemsModule;
}

const introspection = (cache: boolean) => async () =>
  new IntrospectionValidator({
    issuer: OPAQUE_ISSUER,
    endpoint: await startIntrospectionServer(),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    audience: JWKS_AUDIENCE,
    cache: cache ? { maxAgeSeconds: 300 } : false,
    inactiveCacheSeconds: 0,
  });

/** Scenario 14: IntrospectionValidator, answers cached. */
export const IntrospectionCacheHitModule = itemsModule(introspection(true));
/** Scenario 15: IntrospectionValidator without its cache: one introspection request per request. */
export const IntrospectionCacheMissModule = itemsModule(introspection(false));

/** Scenario 16: the JWTs of scenario 10 on a route that trusts 20 issuers. */
export const TwentyIssuersModule = itemsModule(async () => {
  const jwksUri = await startJwksServer();
  const others: TrustedIssuer[] = Array.from({ length: 19 }, (_, i) => ({
    issuer: `https://idp-${i + 1}.bench.test`,
    jwksUri: `${jwksUri}?issuer=${i + 1}`,
    audience: JWKS_AUDIENCE,
    algorithms: ['RS256'],
  }));
  return new MultiIssuerValidator({ issuers: [...others, { issuer: JWKS_ISSUER, jwksUri, audience: JWKS_AUDIENCE, algorithms: ['RS256'] }] });
});
