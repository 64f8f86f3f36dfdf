import type { RefusalReason } from '../../core/refusal-reason.js';

/**
 * A refused DPoP proof, or a token that does not match its proof: why (`reason`, for logs and the `onRefusal`
 * hook) and a short description. Never contains the proof or the token.
 */
export class DPoPProofError extends Error {
  override readonly name = 'DPoPProofError';
  constructor(
    readonly reason: Extract<RefusalReason, `dpop_${string}`>,
    message: string,
  ) {
    super(message);
  }
}
