import type { SecurityScheme } from '../../schemes/security-scheme.js';
import { DPoPCheck } from './dpop-check.js';

/**
 * For SecuritySchemesModule, at start-up: when a scheme's validator takes DPoP-bound tokens (its `dpop` option),
 * the scheme also extracts `Authorization: DPoP <token>` and its 401 challenge names DPoP. A scheme that cannot
 * carry such tokens (an API key, HTTP Basic) is a start-up error.
 */
export function connectDPoP(scheme: SecurityScheme, validator: unknown): void {
  const dpop = (validator as { dpop?: unknown } | null | undefined)?.dpop;
  if (dpop instanceof DPoPCheck) scheme.acceptDPoP(dpop.schemeChallenge);
}
