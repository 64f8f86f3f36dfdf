import {
  JwtValidator,
  OAuth2AuthorizationCodeBearer,
  OAuth2ClientCredentialsBearer,
  type SecuritySchemeRegistration,
} from 'nestjs-security-schemes';
import { IDP } from './idp.config.js';

/** The scopes the identity provider grants for the sample's API. */
export const IDP_SCOPES = { read: 'Read through the identity provider.', write: 'Write through the identity provider.' };

const unset = 'http://idp.invalid';

/** People: Swagger UI logs in at the provider (authorization code + PKCE). */
export const idpLoginScheme = new OAuth2AuthorizationCodeBearer({
  schemeName: 'IdentityProvider',
  authorizationUrl: IDP?.authorizationUrl ?? `${unset}/auth`,
  tokenUrl: IDP?.tokenUrl ?? `${unset}/token`,
  scopes: IDP_SCOPES,
  description: 'Log in at the external identity provider (IDP_ISSUER): authorization code with PKCE.',
});

/** Machines: a client id and secret exchanged for a token (client credentials). */
export const idpMachineScheme = new OAuth2ClientCredentialsBearer({
  schemeName: 'IdentityProviderMachine',
  tokenUrl: IDP?.tokenUrl ?? `${unset}/token`,
  scopes: IDP_SCOPES,
  description: 'Client credentials at the external identity provider (dev provider: sample-machine / sample-machine-secret).',
});

/** The registrations for SecuritySchemesModule.forRoot: none unless IDP_ISSUER is set. */
export function idpSchemes(): SecuritySchemeRegistration[] {
  if (!IDP) return [];
  // One validator for both schemes: the same provider signs both kinds of tokens (one key set, one cache).
  const validator = new JwtValidator({ issuer: IDP.issuer, audience: IDP.audience, algorithms: ['RS256', 'PS256', 'ES256'] });
  return [
    { scheme: idpLoginScheme, validator },
    { scheme: idpMachineScheme, validator },
  ];
}

/** Swagger UI settings for the provider's login page (PKCE, public client, no secret in the page). */
export function idpSwaggerOptions(): Record<string, unknown> {
  if (!IDP) return {};
  return {
    initOAuth: { clientId: IDP.swaggerClientId, usePkceWithAuthorizationCodeGrant: true },
    oauth2RedirectUrl: IDP.redirectUrl,
  };
}
