import type { OAuth2PasswordRequestForm } from './oauth2-password-request-form.js';
import type { OAuth2RefreshTokenRequestForm } from './oauth2-refresh-token-request-form.js';

/**
 * What `@OAuth2TokenForm()` injects: the password form or the refresh-token form. Tell them apart with
 * `form instanceof OAuth2RefreshTokenRequestForm` (or `OAuth2PasswordRequestForm`).
 */
export type OAuth2TokenRequestForm = OAuth2PasswordRequestForm | OAuth2RefreshTokenRequestForm;
