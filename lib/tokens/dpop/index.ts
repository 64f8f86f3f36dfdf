export * from './dpop-options.interface.js';
export { DPoPProofError } from './dpop-proof-error.js';
export { jwkThumbprint } from './jwk-thumbprint.js';
export { normalizeHtu } from './dpop-request-url.js';
export { accessTokenHash, verifyDPoPProof, type DPoPProofExpectations, type VerifiedDPoPProof } from './verify-dpop-proof.js';
export { ProofKeys } from './proof-keys.js';
export { dpopAlgorithmSpecs } from './dpop-algorithms.js';
