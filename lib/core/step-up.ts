import type { Claims } from './claim-checks.js';
import { isScopeToken, quoteString } from './header-values.js';

// Step-up authentication (RFC 9470): a route can require how the user authenticated (`acr`) and how
// recently (`auth_time`). A token that falls short gets a 401 whose challenge tells the client what
// to ask the authorization server for.

/** What a requirement asks of the user's authentication. */
export interface StepUpRequirement {
  /** Accepted `acr` values; the token's `acr` must be one of them. */
  readonly acrValues?: readonly string[];
  /** The most seconds since the user authenticated (`auth_time`). */
  readonly maxAge?: number;
}

/** Reads and checks `acrValues` and `maxAge` (at start-up), naming `where` in errors. */
export function toStepUp(acrValues: unknown, maxAge: unknown, where: string): StepUpRequirement | undefined {
  if (acrValues === undefined && maxAge === undefined) return undefined;
  if (acrValues !== undefined) {
    if (!Array.isArray(acrValues) || acrValues.length === 0 || !acrValues.every((value) => typeof value === 'string' && isScopeToken(value))) {
      throw new Error(
        `${where}: acrValues must be a non-empty array of acr values, each printable ASCII without spaces, quotes or backslashes ` +
          `(they are sent space-separated in the acr_values challenge parameter); got ${JSON.stringify(acrValues)}.`,
      );
    }
  }
  if (maxAge !== undefined && !(typeof maxAge === 'number' && Number.isSafeInteger(maxAge) && maxAge > 0)) {
    throw new Error(`${where}: maxAge must be a positive whole number of seconds, got ${JSON.stringify(maxAge)}.`);
  }
  return {
    ...(acrValues !== undefined && { acrValues: [...new Set(acrValues as string[])] }),
    ...(maxAge !== undefined && { maxAge: maxAge as number }),
  };
}

/**
 * Two levels' step-up requirements together, so that an inner level only narrows: the accepted `acr`
 * values are those both accept (in the outer level's order), and the shorter `maxAge` wins. Accepted
 * values with nothing in common are a configuration error: no token could pass.
 */
export function mergeStepUp(
  outer: StepUpRequirement | undefined,
  inner: StepUpRequirement | undefined,
  where: string,
): StepUpRequirement | undefined {
  if (!outer || !inner) return outer ?? inner;
  let acrValues = outer.acrValues ?? inner.acrValues;
  if (outer.acrValues && inner.acrValues) {
    acrValues = outer.acrValues.filter((value) => inner.acrValues!.includes(value));
    if (acrValues.length === 0) {
      throw new Error(
        `${where}: the acr values required at different levels have none in common (${JSON.stringify(outer.acrValues)} and ` +
          `${JSON.stringify(inner.acrValues)}), so no token could pass. Levels combine with AND: each one narrows what the outer ones accept.`,
      );
    }
  }
  const ages = [outer.maxAge, inner.maxAge].filter((age) => age !== undefined);
  return {
    ...(acrValues && { acrValues }),
    ...(ages.length > 0 && { maxAge: Math.min(...ages) }),
  };
}

/** Equal keys mean the same requirement. */
export function stepUpKey(stepUp: StepUpRequirement | undefined): string {
  if (!stepUp) return '';
  return `acr=${stepUp.acrValues?.join(' ') ?? ''} max_age=${stepUp.maxAge ?? ''}`;
}

/** `acr one of "urn:mfa"; authenticated (auth_time) at most 300 s before the request`. */
export function describeStepUp(stepUp: StepUpRequirement): string[] {
  const parts: string[] = [];
  if (stepUp.acrValues) parts.push(`claim "acr" is one of ${stepUp.acrValues.map((value) => JSON.stringify(value)).join(', ')}`);
  if (stepUp.maxAge !== undefined) parts.push(`the user authenticated (claim "auth_time") at most ${stepUp.maxAge} s before the request`);
  return parts;
}

/** Clock skew allowed for a future `auth_time`, in seconds: the token validators' default `clockTolerance`. */
const AUTH_TIME_TOLERANCE_SECONDS = 5;

const NOT_STRONG_ENOUGH = 'A different authentication level is required';
const NOT_RECENT_ENOUGH = 'More recent authentication is required';

/** A route's step-up requirement with its two RFC 9470 challenges built once, at start-up. */
export class CompiledStepUp {
  readonly acrValues?: readonly string[];
  readonly maxAge?: number;
  /** The challenge when the `acr` is not accepted, and when the authentication is too old. */
  readonly notStrongEnough: string;
  readonly notRecentEnough: string;

  constructor(stepUp: StepUpRequirement) {
    this.acrValues = stepUp.acrValues;
    this.maxAge = stepUp.maxAge;
    const parameters = [
      ...(stepUp.acrValues ? [`acr_values=${quoteString(stepUp.acrValues.join(' '))}`] : []),
      ...(stepUp.maxAge !== undefined ? [`max_age=${quoteString(String(stepUp.maxAge))}`] : []),
    ].join(', ');
    const challenge = (description: string) =>
      `Bearer error="insufficient_user_authentication", error_description=${quoteString(description)}, ${parameters}`;
    this.notStrongEnough = challenge(NOT_STRONG_ENOUGH);
    this.notRecentEnough = challenge(NOT_RECENT_ENOUGH);
    Object.freeze(this);
  }

  /** The challenge to answer with, or undefined when `claims` meet the requirement (no claims: never). */
  refusal(claims: Claims | undefined): string | undefined {
    if (this.acrValues && !(typeof claims?.acr === 'string' && this.acrValues.includes(claims.acr))) return this.notStrongEnough;
    if (this.maxAge !== undefined) {
      const authTime = claims?.auth_time;
      if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return this.notRecentEnough;
      const age = Date.now() / 1000 - authTime;
      // A future auth_time (beyond the clock tolerance) proves no recent sign-in: it would meet every maxAge.
      if (age > this.maxAge || age < -AUTH_TIME_TOLERANCE_SECONDS) return this.notRecentEnough;
    }
    return undefined;
  }
}
