import {
  HttpException,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ContextIdFactory, ModuleRef, type ContextId } from '@nestjs/core';
import { SECURITY_GUARD_MARKER } from './security.constants.js';
import { headersOf } from './security.exception.js';
import { combineChallenges, insufficientUserAuthentication, notEnoughPermissions } from './answers.js';
import type { SchemeRef, SecurityValidator } from './security-options.interface.js';
import type { SecurityScheme, SecurityRequest } from '../schemes/security-scheme.js';
import { SecurityRegistry } from './registry/security.registry.js';
import type { CompiledRoute, CompiledScheme, SchemeBinding } from './registry/compiled-route.js';
import type { SecurityScopes } from './security-scopes.js';
import { Refusal, refusalOf } from './security-refusal.js';
import { claimsOf, claimsPass, type Claims } from './claim-checks.js';
import { isGrant } from './grant.js';
import { getSecurityContext, passedFor, setSecurityContext, type AuthenticatedScheme } from './security-context.js';
import {
  isProtectedTransport,
  refuseOnEndedConnection,
  transportFailure,
  transportRequest,
  watchLongLived,
  whenPassed,
} from '../transports/transport.js';

const VALIDATOR_CONTEXT_ID = Symbol('security-schemes:validator-context-id');

type Request = SecurityRequest & { [VALIDATOR_CONTEXT_ID]?: ContextId };

/**
 * Enforces the compiled requirement of each route: extracts credentials, runs validators, checks
 * scopes, and answers 401/403 with the right challenge. Registered globally by default.
 * Subclass it and override the protected hooks to change how requests are read or errors are sent.
 */
@Injectable()
export class SecurityGuard implements CanActivate {
  static readonly [SECURITY_GUARD_MARKER] = true;
  protected readonly logger = new Logger('SecurityGuard');

  constructor(
    protected readonly registry: SecurityRegistry,
    protected readonly moduleRef: ModuleRef,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.registry.requirementFor(context.getClass(), context.getHandler());
    if (route.alternatives.length === 0) return true;
    const type = context.getType();
    if (type !== 'http' && !isProtectedTransport(type)) {
      throw new Error(`${route.controller.name}.${route.methodName}: security schemes do not protect "${type}" handlers.`);
    }
    const request = this.getRequest(context);
    // Another security guard already checked this route on this request (the global guard and a SchemeGuard).
    // A context made for another route (an Express handler that fell through with next()) does not count.
    if (passedFor(request, route)) return true;
    try {
      // Long-lived connections (gateway connections, graphql-ws subscriptions) end with their authorization.
      if (type === 'ws') refuseOnEndedConnection(this.registry.connections, context);
      let result = route.single
        ? this.authenticateSingle(route, route.single, request, context)
        : this.authenticateAny(route, request, context);
      if (type !== 'http') {
        result = whenPassed(result, () => watchLongLived(this.registry.connections, context, route, getSecurityContext(request)!));
      }
      return result === true ? result : result.catch((error: unknown) => this.refuse(error, route, context));
    } catch (error) {
      return this.refuse(error, route, context);
    }
  }

  /** Reports a refusal (debug line, `onRefusal` hook), then answers it through `fail`. */
  private refuse(error: unknown, route: CompiledRoute, context: ExecutionContext): never {
    if (!(error instanceof Refusal)) return this.fail(error, context);
    this.registry.refusals.report(error, `${route.controller.name}.${route.methodName}`, context);
    return this.fail(error.error, context);
  }

  /** The request whose credentials are read: the HTTP request, or what a GraphQL or WebSocket context carries. */
  protected getRequest(context: ExecutionContext): Request {
    if (context.getType() === 'http') return context.switchToHttp().getRequest<Request>();
    return transportRequest(context) as Request;
  }

  /**
   * Sends the error's headers (the `WWW-Authenticate` challenge) and rethrows it. GraphQL and WebSocket
   * failures are reported the way their transport expects (lib/transports/transport.ts).
   */
  protected fail(error: unknown, context: ExecutionContext): never {
    if (context.getType() !== 'http') throw transportFailure(error, context);
    const headers = headersOf(error);
    if (headers) {
      const response = context.switchToHttp().getResponse();
      for (const [name, value] of Object.entries(headers)) {
        // Express responses and Fastify replies both have header(name, value).
        if (typeof response.header === 'function') response.header(name, value);
        else response.setHeader(name, value);
      }
    }
    throw error;
  }

  /** The common case: one scheme. Stays synchronous unless the validator is asynchronous. */
  private authenticateSingle(
    route: CompiledRoute,
    compiled: CompiledScheme,
    request: Request,
    context: ExecutionContext,
  ): true | Promise<boolean> {
    const credentials = extract(compiled, request);
    if (credentials === null) {
      if (!compiled.optional) throw new Refusal(compiled.scheme.makeNotAuthenticatedError(), 'credentials_missing', [compiled.scheme]);
      return this.accept(request, route, [anonymous(compiled)]);
    }
    // Set only on unsafe routes whose one scheme is cookie-carried: refused before the validator runs.
    if (route.crossSite !== undefined) {
      const refusal = route.crossSite.refusal(request, [compiled.scheme]);
      if (refusal !== undefined) throw refusal;
    }
    const result = this.validate(compiled, credentials, request, context);
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then((value) => this.accept(request, route, [this.authorize(compiled, credentials, value)]));
    }
    return this.accept(request, route, [this.authorize(compiled, credentials, result)]);
  }

  /**
   * Alternatives in order; the first that passes wins. An alternative missing a required credential
   * is skipped; one with nothing sent and only optional schemes lets the request in anonymously, but
   * only when no alternative passed and no presented credential was refused. Stays synchronous unless
   * a validator is asynchronous; then the alternatives after it are tried once it settles.
   */
  private authenticateAny(
    route: CompiledRoute,
    request: Request,
    context: ExecutionContext,
    from = 0,
    tried: TriedAlternatives = { failure: undefined, anonymous: undefined, missing: [] },
  ): true | Promise<boolean> {
    for (let i = from; i < route.alternatives.length; i++) {
      const { schemes } = route.alternatives[i];
      const credentials = credentialsOf(schemes, request, tried);
      if (credentials === undefined) continue;
      // An alternative that only cookie credentials would authenticate fails the cross-site check like a refusal.
      if (route.crossSite !== undefined) {
        const refusal = route.crossSite.refusalFor(schemes, credentials, request);
        if (refusal !== undefined) {
          tried.failure ??= refusal;
          continue;
        }
      }
      let passed: AuthenticatedScheme[] | Promise<AuthenticatedScheme[]>;
      try {
        passed = this.validateAll(schemes, credentials, request, context, 0, []);
      } catch (error) {
        tried.failure ??= error;
        continue;
      }
      if (!isPromiseLike(passed)) return this.accept(request, route, primaryFirst(passed));
      return passed.then(
        (schemes) => this.accept(request, route, primaryFirst(schemes)),
        (error: unknown) => {
          tried.failure ??= error;
          return this.authenticateAny(route, request, context, i + 1, tried);
        },
      );
    }
    if (tried.failure !== undefined) throw tried.failure;
    if (tried.anonymous) return this.accept(request, route, [anonymous(tried.anonymous[0])]);
    const challenge = combineChallenges(tried.missing.map((compiled) => compiled.scheme.makeNotAuthenticatedError()));
    throw new Refusal(challenge, 'credentials_missing', tried.missing.map((compiled) => compiled.scheme));
  }

  /** Validates and authorizes the schemes of one alternative in order, from `from`; throws the first refusal. */
  private validateAll(
    schemes: readonly CompiledScheme[],
    credentials: unknown[],
    request: Request,
    context: ExecutionContext,
    from: number,
    passed: AuthenticatedScheme[],
  ): AuthenticatedScheme[] | Promise<AuthenticatedScheme[]> {
    for (let i = from; i < schemes.length; i++) {
      if (credentials[i] === null) {
        passed.push(anonymous(schemes[i]));
        continue;
      }
      const principal = this.validate(schemes[i], credentials[i], request, context);
      if (isPromiseLike(principal)) {
        return Promise.resolve(principal).then((value) => {
          passed.push(this.authorize(schemes[i], credentials[i], value));
          return this.validateAll(schemes, credentials, request, context, i + 1, passed);
        });
      }
      passed.push(this.authorize(schemes[i], credentials[i], principal));
    }
    return passed;
  }

  /** Runs the scheme's validator; without one, the principal is the credentials themselves. */
  private validate(compiled: CompiledScheme, credentials: unknown, request: Request, context: ExecutionContext): unknown {
    const { binding } = compiled;
    if (!binding.requestScoped && !binding.validator) return credentials;
    if (!binding.requestScoped) return this.runValidator(binding.validator!, compiled, credentials, context);
    return this.resolveValidator(binding, request).then((validator) =>
      this.runValidator(validator, compiled, credentials, context),
    );
  }

  private runValidator(
    validator: SecurityValidator,
    compiled: CompiledScheme,
    credentials: unknown,
    context: ExecutionContext,
  ): unknown {
    try {
      const result = validator.validate(credentials, compiled.scopes, context);
      if (!isPromiseLike(result)) return result;
      return Promise.resolve(result).catch((error: unknown) => {
        throw this.rejection(compiled, error);
      });
    } catch (error) {
      throw this.rejection(compiled, error);
    }
  }

  /** Resolves a request-scoped validator; every validator of one request shares one context id. */
  private async resolveValidator(binding: SchemeBinding, request: Request): Promise<SecurityValidator> {
    let contextId = request[VALIDATOR_CONTEXT_ID];
    if (contextId === undefined) {
      // Nest has already made a context id when the route is request-scoped; otherwise make one.
      contextId = request[VALIDATOR_CONTEXT_ID] = ContextIdFactory.getByRequest(request);
      this.moduleRef.registerRequestByContextId(request, contextId);
    }
    return this.moduleRef.resolve(binding.validatorType!, contextId, { strict: false });
  }

  /**
   * HttpExceptions from validators pass through (their reason, else `principal_refused`); anything else
   * becomes the scheme's 401 (`validator_error`). Expired or forged tokens are normal traffic: one WARN
   * line naming the error's type, the stack at debug level.
   */
  private rejection(compiled: CompiledScheme, error: unknown): Refusal {
    if (error instanceof HttpException) return refusalOf(error, 'principal_refused', compiled.scheme);
    const type = error instanceof Error ? error.name : typeof error;
    this.logger.warn(`The validator of scheme "${compiled.scheme.schemeName}" threw ${type}; answering 401.`);
    if (error instanceof Error) this.logger.debug(error.stack ?? error.message);
    return new Refusal(compiled.scheme.makeNotAuthenticatedError(), 'validator_error', [compiled.scheme]);
  }

  /**
   * What the validator returned, checked for this request only: any falsy principal is a rejection (fail
   * closed); then the step-up requirement (401), required scopes and claim checks (403). A `grant()` brings
   * this request's scopes and claims; otherwise they are read from the principal. Claims are read only on
   * routes that check them. A refusal's challenge is compiled as Bearer's; the scheme turns it into DPoP's
   * when it takes DPoP-bound tokens (RFC 9449 §7.1), on the refusal path only.
   */
  private authorize(compiled: CompiledScheme, credentials: unknown, result: unknown): AuthenticatedScheme {
    const granted = isGrant(result) ? result : undefined;
    const principal = granted ? granted.principal : result;
    if (!principal) throw new Refusal(compiled.scheme.makeNotAuthenticatedError(), 'principal_refused', [compiled.scheme]);
    const claims = granted?.claims;
    if (compiled.stepUp) {
      const challenge = compiled.stepUp.refusal(claims ?? claimsOf(principal));
      if (challenge !== undefined) {
        throw new Refusal(insufficientUserAuthentication(compiled.scheme.refusalChallenge(challenge, credentials)), 'step_up_required', [compiled.scheme]);
      }
    }
    const required = compiled.scopes.scopes;
    if (required.length > 0) {
      const scopes = granted?.scopes ?? this.registry.getScopes(principal);
      if (!Array.isArray(scopes) || !required.every((scope) => scopes.includes(scope))) {
        throw new Refusal(notEnoughPermissions(compiled.scheme.refusalChallenge(compiled.insufficientScopeChallenge, credentials)), 'scope_missing', [compiled.scheme]);
      }
    }
    if (compiled.claimChecks.length > 0 && !claimsPass(compiled.claimChecks, claims ?? claimsOf(principal))) {
      throw new Refusal(notEnoughPermissions(compiled.scheme.refusalChallenge(compiled.claimFailedChallenge, credentials)), 'claim_failed', [compiled.scheme]);
    }
    return { scheme: compiled.scheme, credentials, principal, scopes: compiled.scopes, claims };
  }

  /** Leaves this route's context on the request (for `@CurrentUser()` and friends) and lets it in. */
  private accept(request: Request, route: CompiledRoute, passed: AuthenticatedScheme[]): true {
    setSecurityContext(request, route, passed);
    const property = this.registry.userProperty;
    if (property) (request as unknown as Record<string, unknown>)[property] = passed[0].principal;
    return true;
  }
}

/**
 * A guard class for one scheme, for `@UseGuards(SchemeGuard(apiKey, ['read']))`. It declares the
 * requirement where it is applied (so it is documented and merged like `@Security`) and enforces the
 * route's compiled requirement when no other security guard already did.
 */
export function SchemeGuard(scheme: SchemeRef, scopes: readonly string[] = []): Type<CanActivate> {
  const name = typeof scheme === 'string' ? scheme : scheme.schemeName;
  @Injectable()
  class ForScheme extends SecurityGuard {
    static readonly securityRequirement = { scheme, scopes: [...scopes] };
  }
  Object.defineProperty(ForScheme, 'name', { value: `SchemeGuard(${name})` });
  return ForScheme;
}

/** The scheme's credentials; present but unreadable ones are refused (`malformed`, unless the error says why). */
function extract(compiled: CompiledScheme, request: Request): unknown {
  try {
    return compiled.scheme.extract(request);
  } catch (error) {
    throw refusalOf(error, 'malformed', compiled.scheme);
  }
}

/** What the alternatives tried so far left: the first refusal, the first anonymous one, the missing schemes. */
interface TriedAlternatives {
  failure: unknown;
  anonymous: readonly CompiledScheme[] | undefined;
  missing: CompiledScheme[];
}

/**
 * The credentials of each scheme of one alternative (null where absent), or undefined when it cannot pass:
 * one is malformed (the failure), a required one is missing (its challenge is built only if every
 * alternative fails), or nothing was sent to its optional schemes (the anonymous fallback).
 */
function credentialsOf(schemes: readonly CompiledScheme[], request: Request, tried: TriedAlternatives): unknown[] | undefined {
  const credentials: unknown[] = new Array(schemes.length);
  try {
    for (let i = 0; i < schemes.length; i++) credentials[i] = extract(schemes[i], request);
  } catch (error) {
    tried.failure ??= error;
    return undefined;
  }
  let sent = false;
  for (let i = 0; i < schemes.length; i++) {
    if (credentials[i] !== null) sent = true;
    else if (!schemes[i].optional) {
      tried.missing.push(schemes[i]);
      return undefined;
    }
  }
  if (sent) return credentials;
  tried.anonymous ??= schemes;
  return undefined;
}

/** The passed schemes with the first that presented credentials in front (the primary one). */
function primaryFirst(passed: AuthenticatedScheme[]): AuthenticatedScheme[] {
  const primary = passed.findIndex((scheme) => scheme.credentials !== null);
  if (primary > 0) passed.unshift(...passed.splice(primary, 1));
  return passed;
}

function anonymous(compiled: CompiledScheme): AuthenticatedScheme {
  return { scheme: compiled.scheme, credentials: null, principal: null, scopes: compiled.scopes, claims: undefined };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
