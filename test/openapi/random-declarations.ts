import fc from 'fast-check';
import { equals, grant, includes, type ClaimCheck, type SchemeRequirement, type SecurityScheme, type SecurityValidator } from 'nestjs-security-schemes';
import type { Alternative, LevelDeclaration } from '../utils/routes';

// What the answers property tests (answers.property, dpop-answers.property) share: what a valid credential
// grants and how it is encoded in it, the claim checks, the shape of a random declaration, and how it becomes
// the declarations of a route.

/** What a valid credential grants. */
export interface Granted {
  scopes: string[];
  roles: string[];
  tid: string;
  acr?: string;
  authAge?: number;
}

export const claimsOf = (g: Granted) => ({
  roles: g.roles,
  tid: g.tid,
  ...(g.acr !== undefined && { acr: g.acr }),
  ...(g.authAge !== undefined && { auth_time: Math.floor(Date.now() / 1000) - g.authAge }),
});
export const encode = (g: Granted) => `ok.${Buffer.from(JSON.stringify(g)).toString('base64url')}`;
export const decode = (value: string): Granted | undefined =>
  value.startsWith('ok.') ? (JSON.parse(Buffer.from(value.slice(3), 'base64url').toString()) as Granted) : undefined;

/** An API key's validator: `ok.<granted>` is let in with those scopes and claims; anything else is refused. */
export const keyValidator: SecurityValidator<string> = {
  validate(key) {
    const granted = decode(key);
    return granted ? grant({ sub: 'key' }, { scopes: granted.scopes, claims: claimsOf(granted) }) : null;
  },
};

export const CHECKS: Record<string, [string, ClaimCheck]> = { r1: ['roles', includes('r1')], t1: ['tid', equals('t1')] };

export interface Entry<Name extends string> {
  scheme: Name;
  scopes: string[];
  optional: boolean;
  claims: string[];
  acrValues?: string[];
  maxAge?: number;
}
export interface Level<Name extends string> {
  alternatives: Entry<Name>[][];
  skip: boolean;
}

/** True about once in `n + 1` draws. */
export const rarely = (n: number) => fc.integer({ min: 0, max: n }).map((x) => x === 0);

/** What a valid credential of a random request grants. */
export const granted: fc.Arbitrary<Granted> = fc.record(
  {
    scopes: fc.subarray(['s1', 's2']),
    roles: fc.subarray(['r1']),
    tid: fc.constantFrom('t1', 't2'),
    acr: fc.constantFrom(undefined, 'urn:mfa', 'urn:pwd'),
    authAge: fc.constantFrom(undefined, 10, 1000),
  },
  { requiredKeys: ['scopes', 'roles', 'tid'] },
);

/** A random alternative as the route's declaration, its scheme names resolved in `schemes`. */
export function alternativeOf<Name extends string>(schemes: Record<Name, SecurityScheme>) {
  return (alternative: Entry<Name>[]): Alternative =>
    alternative.map(({ scheme, scopes, optional, claims, acrValues, maxAge }): SchemeRequirement => ({
      scheme: schemes[scheme],
      scopes,
      optional,
      ...(claims.length > 0 && { claims: Object.fromEntries(claims.map((name) => CHECKS[name])) }),
      ...(acrValues && { acrValues }),
      ...(maxAge !== undefined && { maxAge }),
    }));
}

/** A random level as the route's declaration, its scheme names resolved in `schemes`. */
export function declarationOf<Name extends string>(schemes: Record<Name, SecurityScheme>) {
  const toAlternative = alternativeOf(schemes);
  return (l: Level<Name>): LevelDeclaration => ({ alternatives: l.alternatives.map(toAlternative), skip: l.skip });
}
