export * from './introspection-options.interface.js';
export { IntrospectionUnavailableError } from './introspection-unavailable.error.js';
export { IntrospectionValidator } from './introspection-validator.js';
