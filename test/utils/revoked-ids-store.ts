// The store's public export comes with its implementations; the abstract class is all these tests need.
import { RevocationStore, type RevocableClaims } from '../../lib/revocation/revocation-store';

/** Revoked `jti`s, `sid`s and subjects in memory: the part of a store that `isRevoked` reads, for validator tests. */
export class RevokedIdsStore extends RevocationStore {
  readonly jtis = new Set<string>();
  readonly sids = new Set<string>();
  /** Subject -> tokens issued at or before this time (seconds) are revoked. */
  readonly subjects = new Map<string, number>();

  isRevoked(claims: RevocableClaims): boolean {
    if (typeof claims.jti === 'string' && this.jtis.has(claims.jti)) return true;
    if (typeof claims.sid === 'string' && this.sids.has(claims.sid)) return true;
    const before = typeof claims.sub === 'string' ? this.subjects.get(claims.sub) : undefined;
    return before !== undefined && typeof claims.iat === 'number' && claims.iat <= before;
  }
  async revokeToken(jti: string): Promise<void> {
    this.jtis.add(jti);
  }
  async revokeSession(sid: string): Promise<void> {
    this.sids.add(sid);
  }
  async revokeSubject(sub: string, issuedBefore: number): Promise<void> {
    this.subjects.set(sub, issuedBefore);
  }
  async consumeOnce(): Promise<boolean> {
    throw new Error('not used by these tests');
  }
  clear(): void {
    this.jtis.clear();
    this.sids.clear();
    this.subjects.clear();
  }
}
