/**
 * Why a request's credentials were refused. Observable by the application (debug log, `onRefusal` hook);
 * never sent in a response body beyond what RFC 6750 allows, and never containing the token.
 */
export type RefusalReason =
  // The guard
  | 'credentials_missing'
  | 'principal_refused'
  | 'validator_error'
  | 'scope_missing'
  | 'claim_failed'
  | 'step_up_required'
  // Cross-site protection for cookie credentials (lib/core/cross-site.ts)
  | 'cross_site'
  | 'csrf_token_invalid'
  // Token validators
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'typ_mismatch'
  | 'signature_invalid'
  | 'unknown_key'
  | 'key_set_unavailable'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'issuer_untrusted'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'inactive'
  | 'introspection_unavailable'
  | 'revoked'
  // DPoP (RFC 9449), token validators with a `dpop` option
  | 'dpop_required'
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_nonce_required'
  | 'dpop_binding_mismatch'
  // Revocation stores
  | 'revocation_unavailable';
