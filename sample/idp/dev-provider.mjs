// A development OpenID provider for the sample (oidc-provider, in memory): `npm run sample:idp`.
// Then `IDP_ISSUER=http://127.0.0.1:4000 npm run sample` and open http://127.0.0.1:3000/docs:
// - Authorize → IdentityProvider (authorization code + PKCE): log in with any name and password, consent;
// - Authorize → IdentityProviderMachine (client credentials): client id `sample-machine`, secret `sample-machine-secret`.
// IDP_PORT (4000), SAMPLE_URL (http://127.0.0.1:3000) and IDP_AUDIENCE (SAMPLE_URL) change the defaults.
// Never use it in production: keys, sessions and grants live in memory, and anyone can log in.
const warn = console.warn;
console.warn = (...args) => String(args[0]).includes('oidc-provider WARNING') || warn(...args);
const { default: Provider } = await import('oidc-provider');
const { generateKeyPairSync } = await import('node:crypto');

const port = Number(process.env.IDP_PORT ?? 4000);
const sampleUrl = (process.env.SAMPLE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const audience = process.env.IDP_AUDIENCE ?? sampleUrl;
const scope = 'read write';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `dev-${Date.now()}`, alg: 'RS256', use: 'sig' };

function start(listenPort) {
  const issuer = `http://127.0.0.1:${listenPort}`;
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'sample-machine', client_secret: 'sample-machine-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope },
      {
        client_id: 'swagger-ui',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${sampleUrl}/docs/oauth2-redirect.html`],
        scope: `openid ${scope}`,
      },
    ],
    jwks: { keys: [signingKey] },
    scopes: ['openid', 'read', 'write'],
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope, audience, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  return provider;
}

const http = await import('node:http');
const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const provider = start(actual);
  server.on('request', provider.callback());
  const issuer = `http://127.0.0.1:${actual}`;
  if (process.send) {
    process.send({ ready: issuer });
    process.on('disconnect', () => process.exit(0));
  }
  else console.log(`Development OpenID provider at ${issuer}. Start the sample with IDP_ISSUER=${issuer} npm run sample`);
});
