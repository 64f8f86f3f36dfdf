import { HTTPBearer } from 'nestjs-security-schemes';

/** A bearer scheme whose tokens a passport strategy verifies. */
export const passportBearerScheme = new HTTPBearer({
  schemeName: 'PassportBearer',
  bearerFormat: 'JWT',
  description: 'The same access tokens, verified by a passport-http-bearer strategy. Paste an access_token from POST /token.',
});
