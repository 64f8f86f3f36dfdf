import { Inject, Injectable, Logger, Scope, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { isScopeToken, quoteString } from './header-values.js';
import { SecurityScheme } from './schemes/security-scheme.js';
import {
  NEST_GUARDS_METADATA,
  NEST_PATH_METADATA,
  SECURITY_GLOBAL_GUARD,
  SECURITY_MODULE_OPTIONS,
  SECURITY_GUARD_MARKER,
  SECURITY_REQUIREMENTS_METADATA,
  SKIP_SECURITY_METADATA,
} from './security.constants.js';
import { toDeclaredRequirement, type DeclaredRequirement } from './security.decorator.js';
import type {
  ScopesReader,
  SecuritySchemeRegistration,
  SecuritySchemesModuleOptions,
  SecurityValidator,
} from './security-options.interface.js';
import { SecurityScopes } from './security-scopes.js';

/** A registered scheme and its validator. `validator` is set at start-up for singletons. */
export interface SchemeBinding {
  readonly scheme: SecurityScheme;
  readonly validatorType?: Type<SecurityValidator>;
  validator?: SecurityValidator;
  requestScoped: boolean;
}

/** One scheme of a compiled alternative, with everything the guard needs prepared. */
export interface CompiledScheme {
  readonly binding: SchemeBinding;
  readonly scheme: SecurityScheme;
  readonly scopes: SecurityScopes;
  /** `WWW-Authenticate` value for a 403 insufficient_scope answer (RFC 6750). */
  readonly insufficientScopeChallenge: string;
}

/** An alternative: every scheme in it must pass. */
export interface CompiledAlternative {
  readonly schemes: readonly CompiledScheme[];
}

/** What a route requires: any one alternative (OR). Empty means no requirement. */
export interface CompiledRoute {
  readonly controller: Type;
  readonly methodName: string;
  readonly alternatives: readonly CompiledAlternative[];
  /** The single scheme when the route has exactly one alternative of one scheme (the guard's fast path). */
  readonly single?: CompiledScheme;
  /** Every alternative has only `autoError: false` schemes: anonymous requests pass with a null principal. */
  readonly optional: boolean;
  /** `@SkipSecurity()` dropped inherited requirements. */
  readonly optedOut: boolean;
}

/** A scheme guard class made by `SchemeGuard(...)` carries its requirement here. */
export interface SchemeGuardClass {
  securityRequirement: { scheme: SecurityScheme | string; scopes: readonly string[] };
}

const ROUTE_ERROR_HINT = 'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).';

/**
 * The one source of truth for "what does this route require". It registers the schemes, compiles
 * every route's requirement once (at start-up), and both the guard and the OpenAPI writer read it.
 */
@Injectable()
export class SecurityRegistry implements OnModuleInit {
  readonly getScopes: ScopesReader;
  readonly userProperty: string | false;
  private readonly logger = new Logger('SecuritySchemesModule');
  private readonly bindings = new Map<string, SchemeBinding>();
  private readonly defaults: DeclaredRequirement[];
  private readonly routes = new Map<Function, Map<Function, CompiledRoute>>();
  private discovered = false;

  constructor(
    @Inject(SECURITY_MODULE_OPTIONS) options: SecuritySchemesModuleOptions,
    @Inject(SECURITY_GLOBAL_GUARD) private readonly globalGuard: boolean,
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    if (!options || !Array.isArray(options.schemes)) {
      throw new Error('SecuritySchemesModule: options.schemes must be an array of security schemes.');
    }
    for (const entry of options.schemes) this.register(entry);
    this.defaults = (options.defaultSecurity ?? []).map((input) => toDeclaredRequirement(input, 'defaultSecurity'));
    for (const requirement of this.defaults) {
      for (const { scheme } of requirement) this.bindingFor(scheme, 'defaultSecurity');
    }
    this.getScopes = options.getScopes ?? readGrantedScopes;
    this.userProperty = options.userProperty ?? 'user';
  }

  onModuleInit(): void {
    for (const binding of this.bindings.values()) this.resolveValidator(binding);
    this.compileAll();
  }

  /** Every registered scheme, in registration order. */
  schemes(): SecurityScheme[] {
    return [...this.bindings.values()].map((binding) => binding.scheme);
  }

  /** The compiled requirement of a route; compiled on first sight if start-up did not see it. */
  requirementFor(controller: Type, handler: Function): CompiledRoute {
    return this.routes.get(controller)?.get(handler) ?? this.compile(controller, handler, handler.name);
  }

  /** Every controller route, compiled. Used by the OpenAPI writer. */
  compiledRoutes(): CompiledRoute[] {
    this.compileAll();
    return [...this.routes.values()].flatMap((byHandler) => [...byHandler.values()]);
  }

  /** Compiles every route of every controller, so that configuration errors surface at start-up. */
  compileAll(): void {
    if (this.discovered) return;
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | undefined;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[methodName];
        if (typeof handler === 'function' && Reflect.getMetadata(NEST_PATH_METADATA, handler) !== undefined) {
          const route = this.compile(controller, handler, methodName);
          if (route.alternatives.length > 0 && !this.globalGuard && !hasSecurityGuard(controller, handler)) {
            this.logger.warn(
              `${controller.name}.${methodName} declares security but no security guard runs on it (globalGuard is off): ` +
                'add @UseGuards(SecurityGuard) or the requirement is documented but not enforced.',
            );
          }
        }
      }
    }
    this.discovered = true;
  }

  private register(entry: SecurityScheme | SecuritySchemeRegistration): void {
    const registration = entry instanceof SecurityScheme ? { scheme: entry } : entry;
    const scheme = registration?.scheme;
    if (!(scheme instanceof SecurityScheme)) {
      throw new Error(`SecuritySchemesModule: ${String(scheme)} is not a security scheme (APIKeyHeader, HTTPBearer, ...).`);
    }
    const existing = this.bindings.get(scheme.schemeName);
    if (existing && existing.scheme !== scheme) {
      throw new Error(
        `SecuritySchemesModule: two different schemes share the scheme name "${scheme.schemeName}": ` +
          `${describe(existing.scheme)} and ${describe(scheme)}. Give each a distinct schemeName.`,
      );
    }
    if (existing && registration.validator && existing.validatorType && existing.validatorType !== registration.validator) {
      throw new Error(`SecuritySchemesModule: scheme "${scheme.schemeName}" is registered with two different validators.`);
    }
    if (existing && !registration.validator) return;
    this.bindings.set(scheme.schemeName, { scheme, validatorType: registration.validator, requestScoped: false });
  }

  private resolveValidator(binding: SchemeBinding): void {
    const type = binding.validatorType;
    if (!type || binding.validator || binding.requestScoped) return;
    let scope: Scope | undefined;
    try {
      scope = this.moduleRef.introspect(type).scope;
    } catch {
      throw new Error(
        `SecuritySchemesModule: the validator ${type.name} of scheme "${binding.scheme.schemeName}" is not a provider. ` +
          'Add it to the providers of a module.',
      );
    }
    if (typeof type.prototype?.validate !== 'function') {
      throw new Error(`SecuritySchemesModule: the validator ${type.name} has no validate(credentials, securityScopes, context) method.`);
    }
    if (scope === Scope.REQUEST || scope === Scope.TRANSIENT) binding.requestScoped = true;
    else binding.validator = this.moduleRef.get(type, { strict: false });
  }

  private compile(controller: Type, handler: Function, methodName: string): CompiledRoute {
    const route = `${controller.name}.${methodName}`;
    const levels = [
      { requirements: this.defaults, skip: false },
      ...classChain(controller).map((type) => declaredOn(type)),
      declaredOn(handler),
    ];
    let start = 0;
    levels.forEach((level, index) => level.skip && (start = index));

    const merged: { key: string; schemes: { binding: SchemeBinding; scopes: string[] }[] }[] = [];
    for (const level of levels.slice(start)) {
      for (const requirement of level.requirements) {
        const schemes: { binding: SchemeBinding; scopes: string[] }[] = [];
        for (const { scheme, scopes } of requirement) {
          const binding = this.bindingFor(scheme, route);
          const same = schemes.find((s) => s.binding === binding);
          if (same) union(same.scopes, scopes);
          else schemes.push({ binding, scopes: union([], scopes) });
        }
        const key = schemes.map((s) => s.binding.scheme.schemeName).sort().join('\u0000');
        const existing = merged.find((alternative) => alternative.key === key);
        if (!existing) merged.push({ key, schemes });
        else for (const s of schemes) union(existing.schemes.find((e) => e.binding === s.binding)!.scopes, s.scopes);
      }
    }

    const alternatives = merged.map(({ schemes }) => ({
      schemes: schemes.map(({ binding, scopes }) => this.compileScheme(binding, scopes, route)),
    }));
    const compiled: CompiledRoute = {
      controller,
      methodName,
      alternatives,
      single: alternatives.length === 1 && alternatives[0].schemes.length === 1 ? alternatives[0].schemes[0] : undefined,
      optional: alternatives.length > 0 && alternatives.every((a) => a.schemes.every((s) => !s.scheme.autoError)),
      optedOut: start > 0,
    };
    let byHandler = this.routes.get(controller);
    if (!byHandler) this.routes.set(controller, (byHandler = new Map()));
    byHandler.set(handler, compiled);
    return compiled;
  }

  private compileScheme(binding: SchemeBinding, scopes: string[], route: string): CompiledScheme {
    const { scheme } = binding;
    const declared = scheme.declaredScopes;
    for (const scope of scopes) {
      if (!isScopeToken(scope)) {
        throw new Error(`${route}: scope ${JSON.stringify(scope)} of scheme "${scheme.schemeName}" is not a valid OAuth2 scope token.`);
      }
      if (declared && !declared.includes(scope)) {
        throw new Error(
          `${route} requires scope "${scope}" of scheme "${scheme.schemeName}", which declares only: ` +
            `${declared.length ? declared.join(', ') : '(no scopes)'}.`,
        );
      }
    }
    if (scopes.length > 0 && !binding.validatorType) {
      this.logger.warn(
        `${route} requires scopes of scheme "${scheme.schemeName}", which has no validator: ` +
          'no principal can show granted scopes, so every request will be refused with 403.',
      );
    }
    const securityScopes = new SecurityScopes(scopes);
    return {
      binding,
      scheme,
      scopes: securityScopes,
      insufficientScopeChallenge: `Bearer error="insufficient_scope", scope=${quoteString(securityScopes.scopeStr)}`,
    };
  }

  private bindingFor(ref: SecurityScheme | string, route: string): SchemeBinding {
    const name = typeof ref === 'string' ? ref : ref.schemeName;
    const binding = this.bindings.get(name);
    if (!binding) {
      throw new Error(`${route} requires security scheme "${name}", which is not registered. ${ROUTE_ERROR_HINT}`);
    }
    if (typeof ref !== 'string' && binding.scheme !== ref) {
      throw new Error(
        `${route} requires ${describe(ref)}, but the scheme registered as "${name}" is another instance ` +
          `(${describe(binding.scheme)}). Use the registered instance or its name.`,
      );
    }
    return binding;
  }
}

/** Default `getScopes`: `principal.scopes` (array) or `principal.scope` (space-separated string). */
export function readGrantedScopes(principal: unknown): readonly string[] | undefined {
  if (principal === null || typeof principal !== 'object') return undefined;
  const { scopes, scope } = principal as { scopes?: unknown; scope?: unknown };
  if (Array.isArray(scopes)) return scopes;
  if (typeof scope === 'string') return scope.split(' ');
  return undefined;
}

/** Requirements and opt-out declared directly on a class or handler, scheme guards included. */
function declaredOn(target: Function): { requirements: DeclaredRequirement[]; skip: boolean } {
  const declared: DeclaredRequirement[] = Reflect.getOwnMetadata(SECURITY_REQUIREMENTS_METADATA, target) ?? [];
  const guards: unknown[] = Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? [];
  const fromGuards = guards
    .map((guard) => (guard as Partial<SchemeGuardClass> | undefined)?.securityRequirement)
    .filter((requirement) => requirement !== undefined)
    .map((requirement) => [requirement]);
  return { requirements: [...declared, ...fromGuards], skip: Reflect.getOwnMetadata(SKIP_SECURITY_METADATA, target) === true };
}

/** The class and its ancestors, outermost first, so a base controller's `@Security` reaches subclasses. */
function classChain(controller: Type): Function[] {
  const chain: Function[] = [];
  for (let type: Function | null = controller; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
    chain.unshift(type);
  }
  return chain;
}

/** True when SecurityGuard or a SchemeGuard is applied with @UseGuards on the route or its controllers. */
function hasSecurityGuard(controller: Type, handler: Function): boolean {
  return [...classChain(controller), handler].some((target) =>
    ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[]).some(
      (guard) => typeof guard === 'function' && SECURITY_GUARD_MARKER in guard,
    ),
  );
}

function union(target: string[], scopes: readonly string[]): string[] {
  for (const scope of scopes) if (!target.includes(scope)) target.push(scope);
  return target;
}

function describe(scheme: SecurityScheme): string {
  return `${scheme.constructor.name}(${JSON.stringify(scheme.toOpenAPI())})`;
}
