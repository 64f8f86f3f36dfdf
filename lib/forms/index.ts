export { OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict } from './oauth2-password-request-form.js';
export type { OAuth2PasswordRequestFormInit } from './oauth2-password-request-form.js';
export { OAuth2RefreshTokenRequestForm } from './oauth2-refresh-token-request-form.js';
export type { OAuth2RefreshTokenRequestFormInit } from './oauth2-refresh-token-request-form.js';
export type { OAuth2TokenRequestForm } from './oauth2-token-request-form.js';
export { OAuth2PasswordForm, OAuth2TokenForm } from './oauth2-password-form.decorator.js';
export type { OAuth2PasswordFormOptions } from './oauth2-password-form.decorator.js';
export { enableMultipartForms } from './form-body.js';
