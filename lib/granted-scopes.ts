/** Scopes a validator recorded for the principal it returned; read by the default `getScopes`. */
const GRANTED = new WeakMap<object, readonly string[]>();

/** Records the scopes granted to a principal object (e.g. read from a token's claims). */
export function recordGrantedScopes(principal: unknown, scopes: readonly string[]): void {
  if (principal !== null && typeof principal === 'object') GRANTED.set(principal, scopes);
}

/** The scopes recorded for a principal by `recordGrantedScopes`, or undefined. */
export function recordedGrantedScopes(principal: unknown): readonly string[] | undefined {
  return principal !== null && typeof principal === 'object' ? GRANTED.get(principal) : undefined;
}
