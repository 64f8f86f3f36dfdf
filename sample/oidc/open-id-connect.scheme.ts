import { OpenIdConnect } from 'nestjs-security-schemes';

/** Where the sample serves its discovery document (DiscoveryController). Swagger UI resolves it against the page. */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** OpenID Connect: Swagger UI reads the discovery document and offers the flows it lists. */
export const openIdConnectScheme = new OpenIdConnect({
  openIdConnectUrl: DISCOVERY_PATH,
  description: "The sample's own discovery document offers the password flow of POST /token.",
});
