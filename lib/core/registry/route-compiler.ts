import type { Logger, Type } from '@nestjs/common';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import { isGateway } from '../../transports/handlers.js';
import { connectionHandlerOf } from '../../transports/websocket.js';
import type { CrossSiteCheck } from '../cross-site.js';
import { isScopeToken, quoteString } from '../header-values.js';
import { closestScope } from '../known-scopes.js';
import { NEST_GUARDS_METADATA, SECURITY_REQUIREMENTS_METADATA, SKIP_SECURITY_METADATA } from '../security.constants.js';
import type { DeclaredRequirement } from '../security.decorator.js';
import {
  checkDocumentedSize,
  composeRequirements,
  documentedSecurity,
  type RequirementEntry,
  type RequirementLevel,
} from '../security.requirements.js';
import { SecurityScopes } from '../security-scopes.js';
import { CompiledStepUp } from '../step-up.js';
import type { CompiledRoute, CompiledScheme, SchemeBinding, SchemeGuardClass } from './compiled-route.js';
import type { SchemeBindings } from './scheme-bindings.js';

/**
 * Compiles what a route requires, once: the module's `defaultSecurity`, then each class of the controller's
 * chain and the handler (their `@Security` alternatives and scheme guards), merged by the composition rule
 * (lib/core/security.requirements.ts), each scheme entry prepared for the guard (scopes checked against the
 * known ones, challenges built, claim and step-up checks compiled).
 */
export class RouteCompiler {
  constructor(
    private readonly bindings: SchemeBindings,
    private readonly defaults: readonly DeclaredRequirement[],
    private readonly crossSite: CrossSiteCheck | undefined,
    private readonly logger: Logger,
  ) {}

  compile(controller: Type, handler: Function, methodName: string): CompiledRoute {
    const route = `${controller.name}.${methodName}`;
    const levels: RequirementLevel<SchemeBinding>[] = [
      { alternatives: this.resolve(this.defaults, route), skip: false },
      ...[...classChain(controller), handler].flatMap((target) => this.levelsOf(target, route)),
    ];
    const terms = composeRequirements(levels, nameOf, route);
    const alternatives = terms.map((term) => ({ schemes: term.map((entry) => this.compileScheme(entry, route)) }));
    const security = documentedSecurity(terms, nameOf);
    checkDocumentedSize(security, route);
    return {
      controller,
      handler,
      methodName,
      alternatives,
      single: alternatives.length === 1 && alternatives[0].schemes.length === 1 ? alternatives[0].schemes[0] : undefined,
      optional: alternatives.some((alternative) => alternative.schemes.every((scheme) => scheme.optional)),
      optedOut: levels.some((level, index) => index > 0 && level.skip),
      security,
      crossSite: isConnection(controller, handler)
        ? this.crossSite?.forConnection(controller, alternatives)
        : this.crossSite?.forRoute(controller, handler, alternatives),
    };
  }

  /** A class's or handler's levels: its `@Security` alternatives, then one level per scheme guard (guards stack: AND). */
  private levelsOf(target: Function, route: string): RequirementLevel<SchemeBinding>[] {
    const { requirements, guards, skip } = declaredOn(target);
    return [
      { alternatives: this.resolve(requirements, route), skip },
      ...guards.map((requirement) => ({ alternatives: this.resolve([requirement], route), skip: false })),
    ];
  }

  private resolve(requirements: readonly DeclaredRequirement[], route: string): RequirementEntry<SchemeBinding>[][] {
    return requirements.map((requirement) =>
      requirement.map(({ scheme, optional, ...rest }) => {
        const binding = this.bindings.bindingFor(scheme, route);
        return { ...rest, scheme: binding, optional: optional || !binding.scheme.autoError };
      }),
    );
  }

  private compileScheme(entry: RequirementEntry<SchemeBinding>, route: string): CompiledScheme {
    const { scheme: binding, optional, claims = [], stepUp } = entry;
    const scopes = [...entry.scopes];
    const { scheme } = binding;
    checkScopes(scheme, scopes, route);
    if (!binding.validatorType && !binding.validator && !binding.handlerValidates) {
      throw new Error(
        `${route} requires scheme "${scheme.schemeName}", which has no validator: nothing would check its credentials, ` +
          `so any value would pass. Register it with one ({ scheme, validator }), or, if the handler checks the raw ` +
          `credentials itself, say so: { scheme, validatedBy: 'handler' }.`,
      );
    }
    if (scopes.length > 0 && !binding.validatorType && !binding.validator) {
      this.logger.warn(
        `${route} requires scopes of scheme "${scheme.schemeName}", which has no validator: ` +
          'no principal can show granted scopes, so every request will be refused with 403.',
      );
    }
    if ((claims.length > 0 || stepUp) && !binding.validatorType && !binding.validator) {
      this.logger.warn(
        `${route} checks claims of scheme "${scheme.schemeName}", which has no validator: ` +
          'its credentials carry no claims, so every request will be refused.',
      );
    }
    const securityScopes = new SecurityScopes(scopes);
    const insufficientScopeChallenge = `Bearer error="insufficient_scope", scope=${quoteString(securityScopes.scopeStr)}`;
    return {
      binding,
      scheme,
      scopes: securityScopes,
      optional,
      insufficientScopeChallenge,
      claimChecks: claims,
      // A failed claim check asks for more privileges, as a missing scope does (RFC 6750 §3.1).
      claimFailedChallenge: scopes.length > 0 ? insufficientScopeChallenge : 'Bearer error="insufficient_scope"',
      ...(stepUp && { stepUp: new CompiledStepUp(stepUp) }),
      fromCookie: this.bindings.fromCookie(scheme),
    };
  }
}

/** Each scope must be an OAuth2 scope token and, when the scheme knows its scopes, one of them. */
function checkScopes(scheme: SecurityScheme, scopes: readonly string[], route: string): void {
  const declared = scheme.declaredScopes;
  for (const scope of scopes) {
    if (!isScopeToken(scope)) {
      throw new Error(`${route}: scope ${JSON.stringify(scope)} of scheme "${scheme.schemeName}" is not a valid OAuth2 scope token.`);
    }
    if (declared && !declared.includes(scope)) {
      const closest = closestScope(scope, declared);
      throw new Error(
        `${route} requires scope "${scope}" of scheme "${scheme.schemeName}", which declares only: ` +
          `${declared.length ? declared.join(', ') : '(no scopes)'}.${closest ? ` Did you mean "${closest}"?` : ''}`,
      );
    }
  }
}

/** Requirements, scheme guards and opt-out declared directly on a class or handler. */
function declaredOn(target: Function): { requirements: DeclaredRequirement[]; guards: DeclaredRequirement[]; skip: boolean } {
  const requirements: DeclaredRequirement[] = Reflect.getOwnMetadata(SECURITY_REQUIREMENTS_METADATA, target) ?? [];
  const guards = ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[])
    .map((guard) => (guard as Partial<SchemeGuardClass> | undefined)?.securityRequirement)
    .filter((requirement) => requirement !== undefined)
    .map(({ scheme, scopes }): DeclaredRequirement => [{ scheme, scopes, optional: false }]);
  return { requirements, guards, skip: Reflect.getOwnMetadata(SKIP_SECURITY_METADATA, target) === true };
}

/** The class and its ancestors, outermost first, so a base controller's `@Security` reaches subclasses. */
export function classChain(controller: Type): Function[] {
  const chain: Function[] = [];
  for (let type: Function | null = controller; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
    chain.unshift(type);
  }
  return chain;
}

/** The stand-in handler of a gateway's connection (its handshake), whose requirement is the gateway class's. */
function isConnection(controller: Type, handler: Function): boolean {
  return isGateway(controller) && handler === connectionHandlerOf(controller);
}

function nameOf(binding: SchemeBinding): string {
  return binding.scheme.schemeName;
}
