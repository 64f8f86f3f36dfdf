import type { ExecutionContext, HttpException, InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { RevocationStore } from '../revocation/revocation-store.js';
import type { SecurityScheme } from '../schemes/security-scheme.js';
import type { SecurityScopes } from './security-scopes.js';
import type { RefusalHook } from './security-refusal.js';
import type { ClaimChecks } from './claim-checks.js';
import type { Grant } from './grant.js';
import type { CrossSiteOptions } from './cross-site.js';

/** A scheme instance, or the `schemeName` of a registered one. */
export type SchemeRef = SecurityScheme | string;

/** How `@Security(scheme, options)` requires a scheme. */
export interface SecurityOptions {
  /** Scopes the principal must have been granted. */
  scopes?: readonly string[];
  /** A request without these credentials passes with a null principal; presented credentials must still pass. */
  optional?: boolean;
  /**
   * Checks on the principal's claims besides scopes, by claim name: `{ roles: includes('admin'), tid: equals('t1') }`
   * (`equals`, `oneOf`, `includes`, `satisfies`). A failed check is a 403.
   */
  claims?: ClaimChecks;
  /** Step-up (RFC 9470): the token's `acr` must be one of these, else a 401 `insufficient_user_authentication`. */
  acrValues?: readonly string[];
  /** Step-up (RFC 9470): the user must have authenticated (`auth_time`) at most this many seconds ago. */
  maxAge?: number;
}

/** One scheme of a requirement, with the scopes it must grant. */
export interface SchemeRequirement extends SecurityOptions {
  scheme: SchemeRef;
}

/**
 * One alternative of a route's security: a single scheme, or several that must all pass (AND).
 * A list of alternatives means "any one of them" (OR), as in OpenAPI.
 */
export type SecurityRequirementInput = SchemeRef | SchemeRequirement | readonly SchemeRequirement[];

/**
 * What a validator may return: the principal; or `grant(principal, { scopes, claims })` when the scopes and
 * claims come with the credentials (a token's) rather than with the principal; or `null`/`undefined`/`false`
 * to refuse (a 401).
 */
export type ValidationResult<TPrincipal> = TPrincipal | Grant<TPrincipal> | null | undefined | false;

/**
 * Turns a scheme's credentials into the principal. `TCredentials` is what the scheme extracts (see
 * `CredentialsOf`); `TPrincipal` is your user. Return a falsy value, or throw an `HttpException`, to refuse.
 * Register it as a Nest provider, or pass an instance.
 */
export interface SecurityValidator<TCredentials = any, TPrincipal = unknown> {
  validate(
    credentials: TCredentials,
    securityScopes: SecurityScopes,
    context: ExecutionContext,
  ): ValidationResult<TPrincipal> | Promise<ValidationResult<TPrincipal>>;

  // Optional start-up hooks, called by SecuritySchemesModule (the library's token validators use them):

  /**
   * Called once with the scheme it validates, when the module registers an instance or resolves a provider:
   * a validator that changes what its scheme accepts says so here (with `dpop`, a token validator makes its
   * bearer scheme also read `Authorization: DPoP` and name DPoP in its challenge).
   */
  prepareScheme?(scheme: SecurityScheme): void;
  /** Given the module's revocation store at init; a validator with a store of its own may ignore it. */
  useModuleRevocationStore?(store: RevocationStore): void;
  /** Start-up work before the application serves (fetching discovery documents and keys). */
  onSecurityModuleInit?(): Promise<void>;
  /**
   * The refusals of its own this validator may answer besides its scheme's 401 challenge (a token
   * validator's `invalid_token` 401, a 503 when its identity provider is out of reach), each with when it
   * is sent. The OpenAPI document lists them on every route the scheme secures. Called on the instance
   * or, for a provider class not yet built, on its prototype (`this` is then the prototype).
   */
  documentedRefusals?(): readonly ValidatorRefusal[];
}

/** A refusal a validator documents (`SecurityValidator.documentedRefusals`). */
export interface ValidatorRefusal {
  readonly error: HttpException;
  /** When it is sent, in words: "the token is invalid, expired or revoked". */
  readonly when: string;
}

/** The credentials type a scheme extracts. */
export type CredentialsOf<S> = S extends SecurityScheme<infer C> ? C : never;

/** A validator that accepts what scheme `S` extracts: a provider class, or an instance. */
export type ValidatorFor<S extends SecurityScheme> =
  | Type<SecurityValidator<CredentialsOf<S>, unknown>>
  | SecurityValidator<CredentialsOf<S>, unknown>;

/**
 * A scheme with the validator of its credentials; or, with `validatedBy: 'handler'`, a scheme whose raw
 * credentials become the principal for the handler to validate (FastAPI's tutorial style). A route that
 * requires a scheme registered with neither fails at start-up: nothing would check its credentials.
 */
export interface SecuritySchemeRegistration<S extends SecurityScheme = SecurityScheme> {
  scheme: S;
  validator?: ValidatorFor<S>;
  /**
   * `'handler'`: no validator; the principal is the raw credentials (`@CurrentUser()`), and the handler
   * checks them itself. The guard still answers 401 when they are missing.
   */
  validatedBy?: 'handler';
  /**
   * The browser sends these credentials by itself, as it sends a cookie (a session cookie the scheme or its
   * validator reads): unsafe requests they authenticate get the cross-site check (see `crossSite`).
   * `APIKeyCookie` is always treated so.
   */
  credentialsFromCookie?: true;
}

/** An entry of `schemes`: a bare scheme, or a scheme with its validator. */
export type SchemeEntry = SecurityScheme | SecuritySchemeRegistration<any>;

/**
 * `schemes` with each validator checked against its own scheme's credentials, so that
 * `{ scheme: new HTTPBearer(), validator: ValidatorOfString }` is a compile error; and a validator with
 * `validatedBy: 'handler'` (two answers to who checks the credentials) is one too.
 */
export type CheckedSchemes<T extends readonly SchemeEntry[]> = {
  [K in keyof T]: T[K] extends { scheme: infer S extends SecurityScheme; validator?: infer V }
    ? [V] extends [ValidatorFor<S> | undefined]
      ? T[K] extends { validator: object; validatedBy: 'handler' }
        ? { scheme: S; validator: ValidatorFor<S>; validatedBy?: never; credentialsFromCookie?: true }
        : T[K]
      : { scheme: S; validator?: ValidatorFor<S>; validatedBy?: 'handler'; credentialsFromCookie?: true }
    : T[K];
};

/** Reads the scopes a principal was granted. */
export type ScopesReader = (principal: unknown) => readonly string[] | null | undefined;

export interface SecuritySchemesModuleOptions<T extends readonly SchemeEntry[] = readonly SchemeEntry[]> {
  /** Every scheme the application uses, each optionally with a validator. */
  schemes: T & CheckedSchemes<T>;
  /**
   * Requirements every route must meet, before (AND) its controller's and its own (FastAPI's app-level
   * dependencies). Several entries are alternatives (OR).
   */
  defaultSecurity?: readonly SecurityRequirementInput[];
  /** How to read a principal's granted scopes. Default: `principal.scopes` (array) or `principal.scope` (space-separated). */
  getScopes?: ScopesReader;
  /**
   * Register `SecurityGuard` as a global guard. Default true. Set it to false to register the guard
   * yourself, e.g. after `ThrottlerGuard`: `{ provide: APP_GUARD, useExisting: SecurityGuard }`. A route
   * with a requirement that no security guard runs for is then a start-up error (see `allowUnguardedRoutes`).
   */
  globalGuard?: boolean;
  /**
   * Start even when routes declare requirements that no security guard runs for (`globalGuard: false` and
   * the guard registered on some controllers only, or not at all): for applications that enforce them
   * another way. Each such route is then logged as a warning. Default false: a start-up error listing them.
   */
  allowUnguardedRoutes?: boolean;
  /** The request property that receives the principal, like passport's `req.user`. Default `'user'`; `false` sets none. */
  userProperty?: string | false;
  /**
   * Called once for every refused request (401, 403, or a validator's own status) with why it was refused,
   * for metrics or audit; never with the credentials. A hook that throws does not change the answer.
   */
  onRefusal?: RefusalHook;
  /**
   * Where revoked tokens are kept: injectable as `RevocationStore`, and checked by every `JwtValidator` that has
   * no `revocation` option of its own. Default: a new `InMemoryRevocationStore` (one process); several instances
   * share a `RedisRevocationStore`. Closed when the application shuts down.
   */
  revocation?: RevocationStore;
  /**
   * Cross-site protection for cookie credentials, on by default: an unsafe request (not GET, HEAD or OPTIONS)
   * authenticated only by cookie-carried credentials is refused with 403 when a page of another site sent it
   * (Sec-Fetch-Site, else Origin). Options: trusted origins, a double-submit token. `false` turns it off (for
   * APIs whose cookie clients are not browsers); `@SkipCrossSiteCheck()` does so per route. See docs/cross-site.md.
   */
  crossSite?: CrossSiteOptions | false;
}

export interface SecuritySchemesOptionsFactory {
  createSecurityOptions(): SecuritySchemesModuleOptions | Promise<SecuritySchemesModuleOptions>;
}

export interface SecuritySchemesModuleAsyncOptions<T extends readonly SchemeEntry[] = readonly SchemeEntry[]>
  extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => SecuritySchemesModuleOptions<T> | Promise<SecuritySchemesModuleOptions<T>>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<SecuritySchemesOptionsFactory>;
  useExisting?: Type<SecuritySchemesOptionsFactory>;
  /** Register `SecurityGuard` as a global guard. Decided here, not by the factory. Default true. */
  globalGuard?: boolean;
}
