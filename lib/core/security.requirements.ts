/**
 * How declared requirements combine into what a route requires. Pure functions: declarations in,
 * normal form out. The registry feeds them resolved schemes; tests drive them directly.
 *
 * - One level (the module's `defaultSecurity`, one class, one handler, one scheme guard) lists
 *   alternatives (OR); an alternative lists schemes that must all pass (AND).
 * - Levels combine with AND: the normal form is the product of the levels' alternatives. Inside one
 *   term of that product the same scheme is one entry whose scopes are the union; different terms stay
 *   different even when they name the same schemes. Exact duplicate terms are dropped.
 * - `@SkipSecurity()` on a level drops every level before it.
 * - An entry is optional when every declaration of its scheme in that term is optional: absent
 *   credentials are then allowed, presented ones must still pass.
 * - Claim checks merge like scopes: an entry carries every check declared for its scheme in the term
 *   (a level can only add checks). Step-up requirements narrow: the accepted `acr` values are
 *   intersected (outer order kept; nothing in common is an error), the shortest `maxAge` wins.
 */

import { claimRequirementKey, type ClaimRequirement } from './claim-checks.js';
import { mergeStepUp, stepUpKey, type StepUpRequirement } from './step-up.js';

/** One scheme of a term, with the scopes it must grant. */
export interface RequirementEntry<S> {
  readonly scheme: S;
  readonly scopes: readonly string[];
  readonly optional: boolean;
  /** Checks on the principal's claims, besides scopes (none when absent). */
  readonly claims?: readonly ClaimRequirement[];
  /** What the user's authentication must meet (RFC 9470), if anything. */
  readonly stepUp?: StepUpRequirement;
}

/** One alternative of the normal form: every entry must pass (optional ones only when presented). */
export type RequirementTerm<S> = readonly RequirementEntry<S>[];

/** What one level declares: its alternatives, and whether it drops the levels before it. */
export interface RequirementLevel<S> {
  readonly alternatives: readonly RequirementTerm<S>[];
  readonly skip: boolean;
}

/** An OpenAPI Security Requirement Object: scheme name → required scopes. */
export type SecurityRequirementObject = Record<string, string[]>;

/** The most alternatives a route may have (in its normal form and in its document). */
export const MAX_ALTERNATIVES = 32;

/**
 * The disjunctive normal form of `levels`, outer levels first: terms in product order (the outer
 * level's alternatives vary slowest), entries in order of first declaration, scopes unioned in order.
 * `nameOf` identifies a scheme; `where` prefixes errors. Empty when nothing is required.
 */
export function composeRequirements<S>(
  levels: readonly RequirementLevel<S>[],
  nameOf: (scheme: S) => string,
  where: string,
): RequirementTerm<S>[] {
  let start = 0;
  levels.forEach((level, index) => level.skip && (start = index));
  let terms: RequirementTerm<S>[] = [[]];
  for (const level of levels.slice(start)) {
    if (level.alternatives.length === 0) continue;
    const product: RequirementTerm<S>[] = [];
    for (const term of terms) for (const alternative of level.alternatives) product.push(mergeTerm(term, alternative, where));
    terms = dedupe(product, (term) => termKey(term, nameOf));
    if (terms.length > MAX_ALTERNATIVES) throw tooMany(where, terms.length);
  }
  return terms.length === 1 && terms[0].length === 0 ? [] : terms;
}

/**
 * The OpenAPI `security` list of a normal form. A term with optional entries is listed once per way
 * its optional entries can be present (all first, then fewer); a term that can pass with nothing
 * sent gives `{}`, written once, last. Exact duplicates are dropped.
 */
export function documentedSecurity<S>(
  terms: readonly RequirementTerm<S>[],
  nameOf: (scheme: S) => string,
): SecurityRequirementObject[] {
  const listed: SecurityRequirementObject[] = [];
  let anonymous = false;
  for (const term of terms) {
    for (const present of presentVariants(term)) {
      if (present.length === 0) anonymous = true;
      else listed.push(Object.fromEntries(present.map((entry) => [nameOf(entry.scheme), [...entry.scopes]])));
    }
  }
  const security = dedupe(listed, requirementKey);
  if (anonymous) security.push({});
  return security;
}

/** Fails when a route's document would list more than `MAX_ALTERNATIVES` alternatives. */
export function checkDocumentedSize(security: readonly SecurityRequirementObject[], where: string): void {
  if (security.length > MAX_ALTERNATIVES) throw tooMany(where, security.length);
}

function mergeTerm<S>(term: RequirementTerm<S>, alternative: RequirementTerm<S>, where: string): RequirementTerm<S> {
  const merged: RequirementEntry<S>[] = term.map((entry) => ({ ...entry, scopes: [...entry.scopes] }));
  for (const entry of alternative) {
    const index = merged.findIndex((existing) => existing.scheme === entry.scheme);
    if (index < 0) {
      merged.push(withChecks({ scheme: entry.scheme, scopes: union([], entry.scopes), optional: entry.optional }, entry, undefined, where));
    } else {
      const existing = merged[index];
      merged[index] = withChecks(
        { scheme: existing.scheme, scopes: union(existing.scopes, entry.scopes), optional: existing.optional && entry.optional },
        existing,
        entry,
        where,
      );
    }
  }
  return merged;
}

/** `entry` with the claim checks of `outer` then `inner` (each once), and their step-up requirements merged. */
function withChecks<S>(
  entry: RequirementEntry<S>,
  outer: RequirementEntry<S>,
  inner: RequirementEntry<S> | undefined,
  where: string,
): RequirementEntry<S> {
  const claims: ClaimRequirement[] = [];
  const keys = new Set<string>();
  for (const requirement of [...(outer.claims ?? []), ...(inner?.claims ?? [])]) {
    const key = claimRequirementKey(requirement);
    if (keys.has(key)) continue;
    keys.add(key);
    claims.push(requirement);
  }
  const stepUp = mergeStepUp(outer.stepUp, inner?.stepUp, where);
  return { ...entry, ...(claims.length > 0 && { claims }), ...(stepUp && { stepUp }) };
}

/** The entries of `term` that may be presented together, largest sets first; optional ones may be left out. */
function presentVariants<S>(term: RequirementTerm<S>): RequirementEntry<S>[][] {
  const optional = term.filter((entry) => entry.optional);
  const variants: RequirementEntry<S>[][] = [];
  // Bit i of `dropped` leaves out the i-th optional entry from the end, so earlier entries stay longest.
  for (let dropped = 0; dropped < 1 << optional.length; dropped++) {
    variants.push(term.filter((entry) => !entry.optional || !(dropped & (1 << (optional.length - 1 - optional.indexOf(entry))))));
  }
  return variants.sort((a, b) => b.length - a.length);
}

function termKey<S>(term: RequirementTerm<S>, nameOf: (scheme: S) => string): string {
  return term
    .map(
      (entry) =>
        `${nameOf(entry.scheme)}${entry.optional ? '?' : ''} ${[...entry.scopes].sort().join(' ')}` +
        ` ${(entry.claims ?? []).map(claimRequirementKey).sort().join(' ')} ${stepUpKey(entry.stepUp)}`,
    )
    .sort()
    .join('\n');
}

function requirementKey(requirement: SecurityRequirementObject): string {
  return Object.entries(requirement)
    .map(([name, scopes]) => `${name} ${[...scopes].sort().join(' ')}`)
    .sort()
    .join('\n');
}

function dedupe<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function union(target: readonly string[], scopes: readonly string[]): string[] {
  const result = [...target];
  for (const scope of scopes) if (!result.includes(scope)) result.push(scope);
  return result;
}

function tooMany(where: string, count: number): Error {
  return new Error(
    `${where}: its security requirement combines into ${count} alternatives, more than ${MAX_ALTERNATIVES}. ` +
      'Levels combine with AND, so alternatives at several levels multiply: declare fewer alternatives or use @SkipSecurity().',
  );
}
