/**
 * The sample's "external identity provider" part is on when IDP_ISSUER names an OpenID provider:
 * `npm run sample:idp` starts a development one on http://127.0.0.1:4000, then
 * `IDP_ISSUER=http://127.0.0.1:4000 npm run sample`. Any provider works (Keycloak, Auth0, Entra ID...):
 * set IDP_AUDIENCE, and IDP_AUTHORIZATION_URL / IDP_TOKEN_URL when they are not `<issuer>/auth` and
 * `<issuer>/token`, and register a public client `IDP_SWAGGER_CLIENT_ID` (default `swagger-ui`) whose
 * redirect URI is the sample's `/docs/oauth2-redirect.html`.
 */
export interface IdpConfig {
  issuer: string;
  audience: string;
  authorizationUrl: string;
  tokenUrl: string;
  swaggerClientId: string;
  /** Swagger UI's redirect page, registered at the provider. */
  redirectUrl: string;
}

export function readIdpConfig(env: NodeJS.ProcessEnv = process.env): IdpConfig | undefined {
  const issuer = env.IDP_ISSUER?.replace(/\/+$/, '');
  if (!issuer) return undefined;
  const host = env.HOST ?? '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT ?? 3000}`;
  return {
    issuer,
    audience: env.IDP_AUDIENCE ?? origin,
    authorizationUrl: env.IDP_AUTHORIZATION_URL ?? `${issuer}/auth`,
    tokenUrl: env.IDP_TOKEN_URL ?? `${issuer}/token`,
    swaggerClientId: env.IDP_SWAGGER_CLIENT_ID ?? 'swagger-ui',
    redirectUrl: `${origin}/docs/oauth2-redirect.html`,
  };
}

/** Read once, when the sample starts. */
export const IDP: IdpConfig | undefined = readIdpConfig();
