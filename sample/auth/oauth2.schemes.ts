import { OAuth2PasswordBearer } from 'nestjs-security-schemes';

/** The scopes a token can carry, with the text Swagger UI shows next to their checkboxes. */
export const SCOPES = {
  me: 'Read information about the current user.',
  items: 'Read items.',
};

/** The OAuth2 scopes tutorial's scheme: a bearer token from the password form posted to `token`. */
export const oauth2Scheme = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: SCOPES });
