import type { HttpException } from '@nestjs/common';
import { crossSiteAnswers } from './cross-site-answers.js';
import { HTTPBasic } from '../schemes/http.js';
import { headersOf, SecurityHttpException } from '../core/security.exception.js';
import { combineChallenges, insufficientUserAuthentication, notEnoughPermissions } from '../core/answers.js';
import type { SecurityValidator, ValidatorRefusal } from '../core/security-options.interface.js';
import type { CompiledRoute, CompiledScheme, SchemeBinding } from '../core/registry/compiled-route.js';

// Every refusal the guard can send on a route (status, message, WWW-Authenticate challenge), listed from
// the same compiled route and with the same functions (lib/core/answers.ts) the guard builds them with.

/** One answer the guard can give on a route. */
export interface RouteAnswer {
  readonly status: number;
  /** The `message` of the error body `{ statusCode, message, error }`. */
  readonly message: string;
  /** The `WWW-Authenticate` value, if the answer has one. */
  readonly challenge: string | undefined;
  /** The answer carries `Retry-After` (an identity provider out of reach). */
  readonly retryAfter: boolean;
  /** When it is sent, in words (several situations may give the same answer). */
  readonly when: readonly string[];
}

/** Required schemes beyond this on one route: the missing-credential answers are listed per scheme instead. */
const EXACT_MISSING_LIMIT = 12;

/**
 * Every refusal the guard can send on a route, the answer to a request without credentials first:
 * - credentials missing (no alternative can be tried): the first missing scheme's challenge of each
 *   alternative, combined as the guard combines them, for every set of schemes a request may carry
 *   (none on routes that let anonymous requests in);
 * - a scheme's credentials refused by its validator (or malformed, for `HTTPBasic`): its challenge;
 *   and what its validator documents (`documentedRefusals`: the token validators' `invalid_token` 401, or
 *   DPoP's answers, and their 503 when they fetch keys or introspect);
 * - a step-up requirement not met (401), a missing scope or a failed claim check (403), per scheme entry, in
 *   each form the scheme sends it (`refusalChallenges`: on a scheme that takes DPoP-bound tokens, DPoP's
 *   challenge for a DPoP request and, in `allowed` mode, Bearer's with DPoP offered for a Bearer one).
 * - on routes with the cross-site check, its 403s (lib/core/cross-site.ts).
 * An `HttpException` a validator throws without documenting it is not known here.
 */
export function routeAnswers(route: CompiledRoute): RouteAnswer[] {
  const answers = new Map<string, { answer: Omit<RouteAnswer, 'when'>; when: string[] }>();
  const add = (error: HttpException, when: string) => {
    const answer = answerOf(error);
    const key = JSON.stringify(answer);
    const existing = answers.get(key);
    if (!existing) answers.set(key, { answer, when: [when] });
    else if (!existing.when.includes(when)) existing.when.push(when);
  };
  if (route.alternatives.length === 0) return [];
  for (const { missing, when } of missingCredentials(route)) {
    add(combineChallenges(missing.map((compiled) => compiled.scheme.makeNotAuthenticatedError())), when);
  }
  for (const { schemes } of route.alternatives) {
    for (const compiled of schemes) {
      const name = compiled.scheme.schemeName;
      const { binding } = compiled;
      if (hasValidator(binding) || compiled.scheme instanceof HTTPBasic) {
        add(compiled.scheme.makeNotAuthenticatedError(), `the ${name} credentials are refused`);
      }
      for (const { error, when } of validatorAnswers(binding)) add(error, `${name}: ${when}`);
      // After the credentials were accepted: each in every form the scheme sends it (DPoP's, RFC 9449 §7.1).
      const accepted = (answer: (challenge: string) => HttpException, challenge: string, when: string) => {
        for (const form of compiled.scheme.refusalChallenges(challenge)) add(answer(form.challenge), `${name}: ${when}${form.via ? ` (a ${form.via} request)` : ''}`);
      };
      if (compiled.stepUp?.acrValues) accepted(insufficientUserAuthentication, compiled.stepUp.notStrongEnough, 'the authentication (acr) is not strong enough');
      if (compiled.stepUp?.maxAge !== undefined) accepted(insufficientUserAuthentication, compiled.stepUp.notRecentEnough, 'the authentication is too old');
      if (compiled.scopes.scopes.length > 0) {
        accepted(notEnoughPermissions, compiled.insufficientScopeChallenge, `a required scope (${compiled.scopes.scopeStr}) is not granted`);
      }
      if (compiled.claimChecks.length > 0) accepted(notEnoughPermissions, compiled.claimFailedChallenge, 'a claim check fails');
    }
  }
  for (const [error, when] of crossSiteAnswers(route)) add(error, when);
  return [...answers.values()].map(({ answer, when }) => ({ ...answer, when }));
}

function answerOf(error: HttpException): Omit<RouteAnswer, 'when'> {
  const headers = headersOf(error) ?? {};
  const response = error.getResponse();
  const message = typeof response === 'object' && typeof (response as { message?: unknown }).message === 'string'
    ? (response as { message: string }).message
    : error.message;
  return { status: error.getStatus(), message, challenge: headers['WWW-Authenticate'], retryAfter: 'Retry-After' in headers };
}

function hasValidator(binding: SchemeBinding): boolean {
  return binding.validator !== undefined || binding.validatorType !== undefined;
}

/**
 * The schemes whose challenges a 401 for missing credentials combines, for each set of required schemes a
 * request may carry (the guard's rule: in each alternative, the first required scheme not sent; an
 * alternative whose required schemes were all sent is validated instead). None when some alternative is
 * optional: a request without its credentials is let in. The empty request comes first.
 */
function missingCredentials(route: CompiledRoute): { missing: CompiledScheme[]; when: string }[] {
  if (route.optional) return [];
  const required = [...new Set(route.alternatives.flatMap(({ schemes }) => schemes.filter((s) => !s.optional).map((s) => s.scheme)))];
  const found: { missing: CompiledScheme[]; when: string }[] = [];
  if (required.length > EXACT_MISSING_LIMIT) {
    // Too many combinations to list: each scheme's own challenge, and the empty request's.
    const first = route.alternatives.map(({ schemes }) => schemes.find((s) => !s.optional)!);
    found.push({ missing: first, when: 'no credentials' });
    for (const compiled of route.alternatives.flatMap(({ schemes }) => schemes)) {
      if (!compiled.optional) found.push({ missing: [compiled], when: `the ${compiled.scheme.schemeName} credentials are missing` });
    }
    return found;
  }
  for (let sent = 0; sent < 1 << required.length; sent++) {
    const missing: CompiledScheme[] = [];
    for (const { schemes } of route.alternatives) {
      const first = schemes.find((s) => !s.optional && (sent & (1 << required.indexOf(s.scheme))) === 0);
      if (!first) break;
      missing.push(first);
    }
    if (missing.length < route.alternatives.length) continue;
    const names = [...new Set(missing.map((compiled) => compiled.scheme.schemeName))];
    found.push({ missing, when: sent === 0 ? 'no credentials' : `the ${names.join(' or ')} credentials are missing` });
  }
  return found;
}

/** What the scheme's validator documents answering besides the scheme's 401 (`SecurityValidator.documentedRefusals`). */
function validatorAnswers(binding: SchemeBinding): readonly ValidatorRefusal[] {
  const validator = (binding.validator ?? binding.validatorType?.prototype) as SecurityValidator | undefined;
  return typeof validator?.documentedRefusals === 'function' ? validator.documentedRefusals() : [];
}
