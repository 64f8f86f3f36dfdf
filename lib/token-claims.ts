/** The verified claims behind a principal, recorded by token validators; read by claim and step-up checks. */
const CLAIMS = new WeakMap<object, Readonly<Record<string, unknown>>>();

/** Records the verified token claims a principal object was made from. */
export function recordTokenClaims(principal: unknown, claims: Readonly<Record<string, unknown>>): void {
  if (principal !== null && typeof principal === 'object') CLAIMS.set(principal, claims);
}

/** The claims recorded for a principal by `recordTokenClaims`, or undefined. */
export function recordedTokenClaims(principal: unknown): Readonly<Record<string, unknown>> | undefined {
  return principal !== null && typeof principal === 'object' ? CLAIMS.get(principal) : undefined;
}
