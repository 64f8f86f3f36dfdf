import type { ExecutionContext, InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { SecurityScheme } from './schemes/security-scheme.js';
import type { SecurityScopes } from './security-scopes.js';

/** A scheme instance, or the `schemeName` of a registered one. */
export type SchemeRef = SecurityScheme | string;

/** One scheme of a requirement, with the scopes it must grant. */
export interface SchemeRequirement {
  scheme: SchemeRef;
  scopes?: readonly string[];
}

/**
 * One alternative of a route's security: a single scheme, or several that must all pass (AND).
 * A list of alternatives means "any one of them" (OR), as in OpenAPI.
 */
export type SecurityRequirementInput = SchemeRef | SchemeRequirement | readonly SchemeRequirement[];

/** Turns a scheme's credentials into the principal, or throws. Register it as a Nest provider. */
export interface SecurityValidator<TCredentials = any, TPrincipal = unknown> {
  validate(
    credentials: TCredentials,
    securityScopes: SecurityScopes,
    context: ExecutionContext,
  ): TPrincipal | Promise<TPrincipal>;
}

/** The credentials type a scheme extracts. */
export type CredentialsOf<S> = S extends SecurityScheme<infer C> ? C : never;

/** A scheme with the provider class that validates its credentials. */
export interface SecuritySchemeRegistration<S extends SecurityScheme = SecurityScheme> {
  scheme: S;
  validator?: Type<SecurityValidator<CredentialsOf<S>>>;
}

/** Reads the scopes a principal was granted. */
export type ScopesReader = (principal: unknown) => readonly string[] | null | undefined;

export interface SecuritySchemesModuleOptions {
  /** Every scheme the application uses, each optionally with a validator. */
  schemes: ReadonlyArray<SecurityScheme | SecuritySchemeRegistration>;
  /** Requirements every route gets before its controller's and its own (FastAPI's app-level dependencies). */
  defaultSecurity?: readonly SecurityRequirementInput[];
  /** How to read a principal's granted scopes. Default: `principal.scopes` (array) or `principal.scope` (space-separated). */
  getScopes?: ScopesReader;
  /** Register `SecurityGuard` as a global guard. Default true. */
  globalGuard?: boolean;
  /** The request property that receives the principal, like passport's `req.user`. Default `'user'`; `false` sets none. */
  userProperty?: string | false;
}

export interface SecuritySchemesOptionsFactory {
  createSecurityOptions(): SecuritySchemesModuleOptions | Promise<SecuritySchemesModuleOptions>;
}

export interface SecuritySchemesModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => SecuritySchemesModuleOptions | Promise<SecuritySchemesModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<SecuritySchemesOptionsFactory>;
  useExisting?: Type<SecuritySchemesOptionsFactory>;
  /** Register `SecurityGuard` as a global guard. Decided here, not by the factory. Default true. */
  globalGuard?: boolean;
}
