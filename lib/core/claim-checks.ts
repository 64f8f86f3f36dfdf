/** A value a claim can be compared with. */
export type ClaimValue = string | number | boolean;

/** The claims a check reads. */
export type Claims = Readonly<Record<string, unknown>>;

/** A predicate on one claim's value (and, if needed, every claim). Only `true` passes. */
export type ClaimPredicate = (value: unknown, claims: Claims) => boolean;

let predicates = 0;

/**
 * A check on one claim, made by `equals`, `oneOf`, `includes` or `satisfies`. Checks are fixed at
 * start-up; a claim that is missing, of the wrong type, or a predicate that throws fails the check.
 */
export class ClaimCheck {
  private constructor(
    /** How the check reads in the OpenAPI description and in errors, e.g. `includes "admin"`. */
    readonly description: string,
    /** Equal keys mean the same check (used to merge levels without repeating a check). */
    readonly key: string,
    private readonly test: ClaimPredicate,
  ) {
    Object.freeze(this);
  }

  /** True when `value` (the claim's value in `claims`) passes. */
  passes(value: unknown, claims: Claims): boolean {
    try {
      return this.test(value, claims) === true;
    } catch {
      return false; // fail closed
    }
  }

  /** @internal */
  static make(description: string, key: string, test: ClaimPredicate): ClaimCheck {
    return new ClaimCheck(description, key, test);
  }
}

/** The claim is exactly `value` (`===`; an array claim never equals a single value). */
export function equals(value: ClaimValue): ClaimCheck {
  checkValues('equals', [value]);
  return ClaimCheck.make(`equals ${JSON.stringify(value)}`, `equals ${JSON.stringify(value)}`, (claim) => claim === value);
}

/** The claim is one of `values` (e.g. an allowed tenant). */
export function oneOf(...values: [ClaimValue, ...ClaimValue[]]): ClaimCheck {
  checkValues('oneOf', values);
  const text = values.map((value) => JSON.stringify(value)).join(', ');
  return ClaimCheck.make(`is one of ${text}`, `oneOf ${text}`, (claim) => values.includes(claim as ClaimValue));
}

/**
 * The claim holds every one of `values`: an array claim (`"roles": ["admin", "user"]`) or a
 * space-separated string (`"groups": "admin user"`), as `scope` is.
 */
export function includes(...values: [string, ...string[]]): ClaimCheck {
  checkValues('includes', values, true);
  const text = values.map((value) => JSON.stringify(value)).join(', ');
  return ClaimCheck.make(`includes ${text}`, `includes ${text}`, (claim) => {
    const held = typeof claim === 'string' ? claim.split(' ') : claim;
    return Array.isArray(held) && values.every((value) => held.includes(value));
  });
}

/**
 * The claim passes `predicate` (only a `true` result passes; a throw fails). `description` says what it
 * checks, for the OpenAPI description and logs: `satisfies((v) => v >= 18, 'is at least 18')`.
 */
export function satisfies(predicate: ClaimPredicate, description: string): ClaimCheck {
  if (typeof predicate !== 'function') throw new Error('satisfies(predicate, description): predicate must be a function.');
  if (typeof description !== 'string' || description.trim().length === 0) {
    throw new Error('satisfies(predicate, description): describe what the predicate checks, e.g. "is at least 18".');
  }
  return ClaimCheck.make(description, `satisfies#${++predicates}`, predicate);
}

/** Checks on claims, by claim name: `{ roles: includes('admin'), tid: equals('t1') }`. */
export type ClaimChecks = Readonly<Record<string, ClaimCheck | readonly ClaimCheck[]>>;

/** One check on one named claim: what a requirement carries after its `ClaimChecks` are read. */
export interface ClaimRequirement {
  readonly claim: string;
  readonly check: ClaimCheck;
}

/** Reads and checks a `claims` option (at start-up), naming `where` in errors. */
export function toClaimRequirements(claims: unknown, where: string): ClaimRequirement[] {
  if (claims === undefined) return [];
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new Error(`${where}: claims must be an object of checks by claim name, e.g. { roles: includes('admin') }.`);
  }
  const requirements: ClaimRequirement[] = [];
  for (const [claim, given] of Object.entries(claims)) {
    const checks: unknown[] = Array.isArray(given) ? given : [given];
    if (checks.length === 0 || !checks.every((check) => check instanceof ClaimCheck)) {
      throw new Error(
        `${where}: the check of claim ${JSON.stringify(claim)} must be made with equals(), oneOf(), includes() or satisfies().`,
      );
    }
    for (const check of checks as ClaimCheck[]) requirements.push({ claim, check });
  }
  return requirements;
}

/** `claim "roles" includes "admin"`. */
export function describeClaimRequirement({ claim, check }: ClaimRequirement): string {
  return `claim ${JSON.stringify(claim)} ${check.description}`;
}

/** The same claim and check. */
export function claimRequirementKey({ claim, check }: ClaimRequirement): string {
  return `${JSON.stringify(claim)} ${check.key}`;
}

/** True when every requirement passes on `claims` (undefined: no claims could be read, so none passes). */
export function claimsPass(requirements: readonly ClaimRequirement[], claims: Claims | undefined): boolean {
  if (claims === undefined) return false;
  for (const { claim, check } of requirements) {
    if (!Object.hasOwn(claims, claim) || !check.passes(claims[claim], claims)) return false;
  }
  return true;
}

/**
 * The claims of a principal returned without a `grant()`: the principal itself when it is a plain object
 * (e.g. a JWT's claims). Anything else has no claims.
 */
export function claimsOf(principal: unknown): Claims | undefined {
  if (principal === null || typeof principal !== 'object') return undefined;
  const prototype = Object.getPrototypeOf(principal);
  return prototype === Object.prototype || prototype === null ? (principal as Claims) : undefined;
}

function checkValues(helper: string, values: readonly unknown[], stringsOnly = false): void {
  const allowed = (value: unknown) =>
    typeof value === 'string' || (!stringsOnly && (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))));
  if (values.length === 0 || !values.every(allowed)) {
    throw new Error(
      `${helper}(): give ${stringsOnly ? 'one or more strings' : 'strings, finite numbers or booleans'}, got ${JSON.stringify(values)}.`,
    );
  }
  if (stringsOnly && values.some((value) => (value as string).length === 0)) {
    throw new Error(`${helper}(): values cannot be empty strings.`);
  }
}
