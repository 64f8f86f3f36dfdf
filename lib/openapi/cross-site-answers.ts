import type { HttpException } from '@nestjs/common';
import { crossSiteRefused, csrfTokenRefused } from '../core/cross-site.js';
import type { CompiledRoute } from '../core/registry/compiled-route.js';

// The cross-site check (lib/core/cross-site.ts) in the OpenAPI document: its answers and its description.

/** The names of the cookie-carried schemes of a route, in order. */
function cookieSchemeNames(route: CompiledRoute): string[] {
  const names = route.alternatives.flatMap(({ schemes }) => schemes.filter((scheme) => scheme.fromCookie).map((scheme) => scheme.scheme.schemeName));
  return [...new Set(names)];
}

/** The refusals of the cross-site check a route can answer, and when (none for a route without the check). */
export function crossSiteAnswers(route: CompiledRoute): [HttpException, string][] {
  const check = route.crossSite;
  if (check === undefined) return [];
  const names = cookieSchemeNames(route).join(' or ');
  const answers: [HttpException, string][] = [
    [crossSiteRefused(), `a page on another site sent this request with the ${names} cookie credentials (Sec-Fetch-Site, else Origin)`],
  ];
  if (check.doubleSubmit) {
    answers.push([csrfTokenRefused(), `the ${check.tokenHeader} header does not carry the double-submit token matching its cookie`]);
  }
  return answers;
}

/** One line for the operation's description on routes with the check, else undefined. */
export function crossSiteDescription(route: CompiledRoute): string | undefined {
  const check = route.crossSite;
  if (check === undefined) return undefined;
  const trusted = check.trustedOrigins.size > 0 ? ` (trusted: ${[...check.trustedOrigins].join(', ')})` : '';
  const token = check.doubleSubmit ? `; it must also carry the ${check.tokenHeader} header (double-submit token)` : '';
  return (
    `- Cross-site protection: when only the ${cookieSchemeNames(route).join(' or ')} cookie credentials authenticate it, ` +
    `this request is refused (403) if a page of another origin${trusted} sent it${token}`
  );
}
