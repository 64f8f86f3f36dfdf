export * from './revocation-store.js';
export * from './in-memory-revocation-store.js';
export * from './revoked-token.js';
export * from './redis-revocation-store.js';
