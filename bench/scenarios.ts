import { OPAQUE_TOKEN } from './apps/introspection';
import { signRs256AccessToken } from './apps/jwks-fixtures';
import { dpopProof, signDPoPAccessToken } from './apps/dpop-fixtures';
import { randomUUID } from 'node:crypto';
import { API_KEY, basicAuthorization, ITEMS_PATH, itemsOf, PASSWORD, signAccessToken, signSampleToken, USERNAME } from './fixtures';

export type Platform = 'express' | 'fastify';

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Headers made anew for each request of the load (e.g. a token never sent before), over `headers`. */
  varyHeaders?: () => Record<string, string>;
}

/** What a scenario's app is: its row in the report, the request it serves with 200, and how it is measured. */
export interface AppSpec {
  /** The row's number in the report ('1a', '2p': extra rows next to a numbered scenario). */
  number: string;
  title: string;
  /** The authenticated request the app answers with 200 and `expectedBody`. */
  request(): BenchRequest;
  /** The exact 200 body. Default: the items body. */
  expectedBody?: string;
  /** The route refuses a request without credentials with 401 (checked before measuring). */
  guarded: boolean;
  /** 'load': closed-loop load at saturation (default). 'login': scenario 8's probe with and without a login flood. */
  kind?: 'load' | 'login';
  /** Served on Express only. */
  expressOnly?: boolean;
  /** Served on Fastify only. */
  fastifyOnly?: boolean;
  /** The app checks a RedisRevocationStore: run.ts starts a redis-server for it, or leaves the row out. */
  redis?: boolean;
  /** The app is the hand-written peer of this app (same validator, no library): the report gives the library's ratio to it. */
  peerOf?: string;
  /** The app is the sample itself (`createSampleApp`): it starts with the bench's signing key as SECRET_KEY. */
  sample?: boolean;
}

const get = (headers: Record<string, string> = {}): BenchRequest => ({ method: 'GET', path: ITEMS_PATH, headers });
const withApiKey = () => get({ 'x-api-key': API_KEY });
const withBasic = () => get({ authorization: basicAuthorization() });
const withBearer = () => get({ authorization: `Bearer ${signAccessToken()}` });
/** A bearer token with a jti, so that a revocation check has something to look up. */
const withBearerJti = () => get({ authorization: `Bearer ${signAccessToken(USERNAME, ['me', 'items'], randomUUID())}` });
const withRs256 = () => get({ authorization: `Bearer ${signRs256AccessToken()}` });
const withOpaque = () => get({ authorization: `Bearer ${OPAQUE_TOKEN}` });
let opaqueTokens = 0;
/** A new opaque token on each request, so that every request is a cache miss and shares no introspection call. */
const withNewOpaque = (): BenchRequest => ({ ...withOpaque(), varyHeaders: () => ({ authorization: `Bearer ${OPAQUE_TOKEN}-${++opaqueTokens}` }) });
const withCachedBearer = () => get({ authorization: `Bearer ${signDPoPAccessToken(false)}` });
/** A DPoP-bound token (the same on every request: a cache hit) with a new proof on every request (RFC 9449). */
const withDPoP = (): BenchRequest => {
  const token = signDPoPAccessToken(true);
  return { ...get({ authorization: `DPoP ${token}`, dpop: dpopProof(token) }), varyHeaders: () => ({ dpop: dpopProof(token) }) };
};
const graphqlQuery = (headers: Record<string, string> = {}): BenchRequest => ({
  method: 'POST',
  path: '/graphql',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ query: '{ items { item_id owner } }' }),
});
/** Apollo's answer: the items under `data`, with a final newline. */
const GRAPHQL_BODY = JSON.stringify({ data: { items: itemsOf(USERNAME) } }) + '\n';

/**
 * Every app in bench/apps, by name, in the order of a round. To add a scenario: a module in bench/apps,
 * an entry here, and its module in server.ts's MODULES (the compiler asks for it).
 */
export const APPS = {
  unguarded: { number: '1', title: 'unguarded route (baseline)', request: get, guarded: false },
  'unguarded-again': { number: '1a', title: 'the same, another process (A/A noise check)', request: get, guarded: false },
  public: { number: '1b', title: 'route without requirement, module loaded', request: get, guarded: false },
  'unguarded-third': { number: '1c', title: 'unguarded again, a third process (A/A noise check)', request: get, guarded: false },
  'nest-floor': { number: '1d', title: "Nest's floor: a guard that allows all, a parameter decorator", request: get, guarded: false },
  'api-key': { number: '2', title: 'APIKeyHeader, constant-time validator', request: withApiKey, guarded: true },
  'api-key-peer': { number: '2p', title: 'peer: the same validator, hand-written guard', request: withApiKey, guarded: true, peerOf: 'api-key' },
  basic: { number: '3', title: 'HTTPBasic, constant-time validator', request: withBasic, guarded: true },
  'basic-peer': { number: '3p', title: 'peer: the same validator, hand-written guard', request: withBasic, guarded: true, peerOf: 'basic' },
  jwt: { number: '4', title: 'OAuth2PasswordBearer + JWT + merged scopes', request: withBearer, guarded: true },
  'jwt-peer': { number: '4p', title: 'peer: the same validator and scopes, hand-written guard', request: withBearer, guarded: true, peerOf: 'jwt' },
  or3: { number: '5', title: '3 alternatives, the last one succeeds', request: withApiKey, guarded: true },
  'or3-peer': { number: '5p', title: 'peer: the same 3 validators, hand-written guard', request: withApiKey, guarded: true, peerOf: 'or3' },
  'passport-string': { number: '6', title: 'anchor: passport bearer, string secret', request: withBearer, guarded: true, expressOnly: true },
  'passport-key': { number: '7', title: 'anchor: passport bearer, key object', request: withBearer, guarded: true, expressOnly: true },
  'sample-login': {
    number: '8',
    title: 'the sample: GET /status during a login flood',
    request: () => ({ method: 'GET', path: '/status', headers: { authorization: `Bearer ${signSampleToken()}` } }),
    expectedBody: JSON.stringify({ status: 'ok' }),
    guarded: true,
    kind: 'login',
    sample: true,
  },
  // RS256 tokens verified through an identity provider's JWKS (bench/apps/jwks.ts).
  'jwks-miss': { number: '9', title: 'RS256 JWT from a JWKS, JwtValidator, cache miss', request: withRs256, guarded: true },
  'jwks-hit': { number: '10', title: 'RS256 JWT from a JWKS, JwtValidator, cache hit', request: withRs256, guarded: true },
  'passport-jwks': { number: '11', title: 'anchor: passport-jwt + jwks-rsa, RS256', request: withRs256, guarded: true, expressOnly: true },
  // GraphQL (bench/apps/graphql.ts): the same query unguarded (12), guarded like scenario 4 (13), and by a hand-written
  // guard (13p). Fastify only, to keep the run short (the test suites cover Express). A refused GraphQL query
  // is a 200 with an error, not a 401, so `guarded` stays false; 13's body needs the principal the guard sets.
  graphql: { number: '12', title: 'GraphQL query, unguarded (baseline of 13)', request: () => graphqlQuery(), expectedBody: GRAPHQL_BODY, guarded: false, fastifyOnly: true },
  'graphql-jwt': {
    number: '13',
    title: 'the same query, bearer JWT + merged scopes',
    request: () => graphqlQuery({ authorization: `Bearer ${signAccessToken()}` }),
    expectedBody: GRAPHQL_BODY,
    guarded: false,
    fastifyOnly: true,
  },
  'graphql-jwt-peer': {
    number: '13p',
    title: 'peer: the same validator and scopes, hand-written resolver guard',
    request: () => graphqlQuery({ authorization: `Bearer ${signAccessToken()}` }),
    expectedBody: GRAPHQL_BODY,
    guarded: false,
    fastifyOnly: true,
    peerOf: 'graphql-jwt',
  },
  // Opaque tokens (RFC 7662) and several issuers (bench/apps/introspection.ts); compare with 10.
  'introspection-hit': { number: '14', title: 'opaque token, IntrospectionValidator, cache hit', request: withOpaque, guarded: true },
  'introspection-miss': { number: '15', title: 'a new opaque token each request, introspected (local endpoint)', request: withNewOpaque, guarded: true },
  'issuers-20': { number: '16', title: 'RS256 JWT from a JWKS, route trusting 20 issuers, cache hit', request: withRs256, guarded: true },
  // Revocation (bench/apps/jwt-revocation.ts): the library's JwtValidator, tokens with a jti, without a revocation
  // store (17), then checking a RedisRevocationStore with nothing revoked (17a) and with 100,000 revoked jtis (17b).
  'jwt-revocation-none': { number: '17', title: 'JwtValidator HS256 + scopes, no revocation store', request: withBearerJti, guarded: true },
  'jwt-revocation-redis': { number: '17a', title: 'the same, Redis revocation store, nothing revoked', request: withBearerJti, guarded: true, redis: true },
  'jwt-revocation-100k': { number: '17b', title: 'the same, Redis revocation store, 100,000 revoked jtis', request: withBearerJti, guarded: true, redis: true },
  // DPoP (bench/apps/dpop.ts): the same route with a cached bearer token (18), and with a DPoP-bound token and a
  // new proof on each request (18a): one ES256 signature check and one jti marked used per request.
  'dpop-bearer': { number: '18', title: 'HTTPBearer + JwtValidator HS256, cached bearer token (baseline of 18a)', request: withCachedBearer, guarded: true },
  dpop: { number: '18a', title: 'the same route, DPoP-bound token, a new ES256 proof each request', request: withDPoP, guarded: true },
  // The sample as `npm run sample` starts it (every scheme, its global guards, filter, Swagger UI, server timeouts),
  // its GET /users/me/items with a valid access token as POST /token issues them; compared with the bare Nest app
  // of row 1 (the same JSON on the same path, no library), in the same rounds.
  'sample-items': {
    number: '19',
    title: 'the sample: GET /users/me/items, a valid token (vs the bare app, 1)',
    request: () => get({ authorization: `Bearer ${signSampleToken()}` }),
    guarded: true,
    sample: true,
  },
} satisfies Record<string, AppSpec>;

export type AppName = keyof typeof APPS;

export function specOf(app: AppName): AppSpec {
  return APPS[app];
}

export interface Scenario {
  /** `<platform>/<app>`, the name `--only` matches. */
  id: string;
  number: string;
  title: string;
  platform: Platform;
  app: AppName;
  kind: 'load' | 'login';
}

/** Every scenario, in the order of a round: Express first, then Fastify. */
export const SCENARIOS: Scenario[] = (['express', 'fastify'] as Platform[]).flatMap((platform) =>
  (Object.keys(APPS) as AppName[])
    .filter((app) => (platform === 'express' || !specOf(app).expressOnly) && (platform === 'fastify' || !specOf(app).fastifyOnly))
    .map((app) => ({ id: `${platform}/${app}`, number: specOf(app).number, title: specOf(app).title, platform, app, kind: specOf(app).kind ?? 'load' })),
);

/** The authenticated request each app serves with 200. */
export function requestFor(app: AppName): BenchRequest {
  return specOf(app).request();
}

/** The body of that 200. */
export function expectedBodyOf(app: AppName): string {
  return specOf(app).expectedBody ?? JSON.stringify(itemsOf(USERNAME));
}

/** Scenario 8's flood: the OAuth2 password form, with the right password. */
export const LOGIN_REQUEST: BenchRequest = {
  method: 'POST',
  path: '/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'me items' }).toString(),
};

/** The apps whose route must refuse a request without credentials. */
export function isGuarded(app: AppName): boolean {
  return specOf(app).guarded;
}
