export * from './multi-issuer-options.interface.js';
export { MultiIssuerValidator } from './multi-issuer-validator.js';
