import type { Type } from '@nestjs/common';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import type { ClaimRequirement } from '../claim-checks.js';
import type { CrossSiteCheck } from '../cross-site.js';
import type { SecurityValidator } from '../security-options.interface.js';
import type { SecurityRequirementObject } from '../security.requirements.js';
import type { SecurityScopes } from '../security-scopes.js';
import type { CompiledStepUp } from '../step-up.js';

// What the registry compiles at start-up for each route, and what the guard, the transports and the
// OpenAPI writer read: one source of truth for "what does this route require".

/** A registered scheme and its validator. `validator` is set at start-up, except for request-scoped providers. */
export interface SchemeBinding {
  readonly scheme: SecurityScheme;
  /** The validator's provider class, when it is one. */
  readonly validatorType?: Type<SecurityValidator>;
  validator?: SecurityValidator;
  requestScoped: boolean;
  /** Registered with `validatedBy: 'handler'`: no validator, the handler checks the raw credentials. */
  readonly handlerValidates: boolean;
}

/** One scheme of a compiled alternative, with everything the guard needs prepared. */
export interface CompiledScheme {
  readonly binding: SchemeBinding;
  readonly scheme: SecurityScheme;
  readonly scopes: SecurityScopes;
  /** Absent credentials are allowed (declared optional, or the scheme has `autoError: false`). */
  readonly optional: boolean;
  /**
   * `WWW-Authenticate` value for a 403 insufficient_scope answer (RFC 6750), in Bearer's form; a scheme that takes
   * DPoP-bound tokens sends it in DPoP's (`SecurityScheme.refusalChallenge`, RFC 9449 §7.1).
   */
  readonly insufficientScopeChallenge: string;
  /** Checks on the principal's claims (empty when none). */
  readonly claimChecks: readonly ClaimRequirement[];
  /** `WWW-Authenticate` value for a 403 after a failed claim check, in Bearer's form as above. */
  readonly claimFailedChallenge: string;
  /** The step-up requirement (RFC 9470), if any. */
  readonly stepUp?: CompiledStepUp;
  /** Its credentials come from a cookie (`APIKeyCookie`, or registered with `credentialsFromCookie: true`). */
  readonly fromCookie: boolean;
}

/** An alternative: every scheme in it must pass. */
export interface CompiledAlternative {
  readonly schemes: readonly CompiledScheme[];
}

/** What a route requires: any one alternative (OR), in the order tried. Empty means no requirement. */
export interface CompiledRoute {
  readonly controller: Type;
  readonly handler: Function;
  readonly methodName: string;
  readonly alternatives: readonly CompiledAlternative[];
  /** The single scheme when the route has exactly one alternative of one scheme (the guard's fast path). */
  readonly single?: CompiledScheme;
  /** Some alternative has only optional schemes: a request without credentials passes with a null principal. */
  readonly optional: boolean;
  /** The route's OpenAPI `security` list, written from the alternatives. */
  readonly security: readonly SecurityRequirementObject[];
  /** `@SkipSecurity()` dropped inherited requirements. */
  readonly optedOut: boolean;
  /** The cross-site check, when some alternative can be met by cookie credentials on an unsafe method (lib/core/cross-site.ts). */
  readonly crossSite?: CrossSiteCheck;
}

/** A scheme guard class made by `SchemeGuard(...)` carries its requirement here. */
export interface SchemeGuardClass {
  securityRequirement: { scheme: SecurityScheme | string; scopes: readonly string[] };
}
