export * from './algorithms.js';
export { InvalidTokenError } from './jws.js';
export * from './jwks.js';
export { MIN_RSA_BITS, type JwtKeyInput } from './keys.js';
export * from './jwt-validator-options.interface.js';
export * from './jwt-validator.js';
