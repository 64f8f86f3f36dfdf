// A real OpenID provider (oidc-provider 9, ESM-only) for the end-to-end tests, run as a child process
// with an IPC channel: `fork('provider-process.mjs', [redirectUri])`. It listens on a random local port and
// reports { ready: issuer }. Messages from the parent:
//   { id, cmd: 'keys', kids: ['b', 'a'] }  signs with the first key and publishes these (rotation)
//   { id, cmd: 'redirectUris', uris }    the redirect URIs of the `swagger` client
//   { id, cmd: 'jwksRequests' }           how many times GET /jwks was served
//   { id, cmd: 'down' } / { id, cmd: 'up' }  stop listening (connections refused) / listen again
//   { id, cmd: 'counts' }                 requests served: { requests, jwks, introspection, revocation }
// With OIDC_ACCESS_TOKENS=opaque in its environment, access tokens are opaque, and the introspection and
// revocation endpoints are enabled; the client `api` (secret `api-secret`) is the API that introspects;
// the introspection answers of `machine`'s tokens carry `sub: "owner-of-machine"`.
// With OIDC_DPOP=1, DPoP is on (features.dPoP, RFC 9449): a token request with a `DPoP` proof gets a DPoP-bound
// access token (`cnf.jkt` in the JWT, or in the introspection answer); otherwise DPoP is off.
// Clients: `machine` (client credentials, `scope` claim), `machine-scp` (scopes in an `scp` array),
// `machine-expired` and `machine-future` (exp in the past, nbf in the future: real signatures on bad
// claims), and `swagger` (public client: authorization code + PKCE, for Swagger UI).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

// oidc-provider's development-only warnings (in-memory adapter, devInteractions, Node 20) are expected here.
const warn = console.warn;
console.warn = (...args) => String(args[0]).includes('oidc-provider WARNING') || warn(...args);
const { default: Provider } = await import('oidc-provider');

let redirectUris = process.argv.slice(2);
const OPAQUE = process.env.OIDC_ACCESS_TOKENS === 'opaque';
const DPOP = process.env.OIDC_DPOP === '1';
export const API = 'https://api.test';
const OTHER_API = 'https://other-api.test';
const SCOPES = 'read write';

const pool = new Map();
function privateJwk(name) {
  if (!pool.has(name)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pool.set(name, { ...privateKey.export({ format: 'jwk' }), kid: `${name}-${randomUUID()}`, alg: 'RS256', use: 'sig' });
  }
  return pool.get(name);
}

const secretClient = (clientId, extra = {}) => ({
  client_id: clientId,
  client_secret: `${clientId}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: SCOPES,
  ...extra,
});

function configuration(kids) {
  return {
    clients: [
      secretClient('machine'),
      secretClient('machine-scp'),
      secretClient('machine-expired'),
      secretClient('machine-future'),
      secretClient('api', { grant_types: [] }),
      {
        client_id: 'swagger',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: redirectUris.length ? redirectUris : ['http://127.0.0.1/unused'],
        scope: `openid ${SCOPES}`,
      },
    ],
    jwks: { keys: kids.map(privateJwk) },
    scopes: ['openid', 'read', 'write'],
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      dPoP: { enabled: DPOP },
      introspection: { enabled: OPAQUE },
      revocation: { enabled: OPAQUE },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: SCOPES,
          audience: resource === OTHER_API ? OTHER_API : API,
          accessTokenFormat: OPAQUE ? 'opaque' : 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    formats: {
      customizers: {
        jwt(_ctx, token, jwt) {
          const payload = jwt.payload;
          if (token.clientId === 'machine-scp') {
            payload.scp = (payload.scope ?? '').split(' ').filter(Boolean);
            delete payload.scope;
          }
          if (token.clientId === 'machine-expired') payload.exp = payload.iat - 60;
          if (token.clientId === 'machine-future') payload.nbf = payload.iat + 3600;
        },
      },
    },
    // The introspection answers of opaque client-credentials tokens name a subject (the client's owner), for
    // revocation by subject.
    extraTokenClaims: (_ctx, token) => (OPAQUE && token.clientId === 'machine' ? { sub: 'owner-of-machine' } : undefined),
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  };
}

let provider;
let jwksRequests = 0;
const counts = { requests: 0, jwks: 0, introspection: 0, revocation: 0 };
const server = http.createServer((req, res) => {
  const path = req.url?.split('?')[0];
  counts.requests++;
  if (req.method === 'GET' && path === '/jwks') jwksRequests++, counts.jwks++;
  if (path === '/token/introspection') counts.introspection++;
  if (path === '/token/revocation') counts.revocation++;
  provider.callback()(req, res);
});
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const build = (kids) => {
    provider = new Provider(issuer, configuration(kids));
  };
  let kids = ['a'];
  build(kids);
  const port = server.address().port;
  process.on('message', (message) => {
    const { id, cmd } = message;
    const reply = (value) => process.send({ id, value });
    if (cmd === 'keys') {
      build((kids = message.kids));
      reply(kids.map((name) => privateJwk(name).kid));
    } else if (cmd === 'redirectUris') {
      redirectUris = message.uris;
      build(kids);
      reply(true);
    } else if (cmd === 'jwksRequests') reply(jwksRequests);
    else if (cmd === 'counts') reply(counts);
    else if (cmd === 'down') {
      server.close(() => reply(true));
      server.closeAllConnections();
    } else if (cmd === 'up') server.listen(port, '127.0.0.1', () => reply(true));
  });
  process.send({ ready: issuer });
});
// The tests' process is gone (or closed the channel): nothing is left to serve.
process.on('disconnect', () => process.exit(0));
