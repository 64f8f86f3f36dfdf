import { OAuth2PasswordBearer } from 'nestjs-security-schemes';

/** The scopes a token can carry, with the text Swagger UI shows next to their checkboxes. */
export const SCOPES = {
  me: 'Read information about the current user.',
  items: 'Read items.',
};

/** The OAuth2 scopes tutorial's scheme: a bearer token from the password form posted to `token`. */
export const oauth2Scheme = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: SCOPES });

/**
 * The same tokens, but optional (`autoError: false`): without one, a route still runs, with a null
 * user. A scheme of its own, because whether credentials are required is a property of the scheme.
 */
export const optionalOAuth2Scheme = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  schemeName: 'OptionalOAuth2',
  autoError: false,
  description: 'The same access tokens as OAuth2PasswordBearer, for routes that also answer anonymous callers.',
});
