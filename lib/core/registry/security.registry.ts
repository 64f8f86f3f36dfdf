import {
  Inject,
  Injectable,
  Logger,
  Optional,
  Scope,
  type CanActivate,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { checkResponseHeaders, isScopeToken, quoteString } from '../header-values.js';
import { closestScope } from '../known-scopes.js';
import { checkSingleRegistration } from '../single-registration.js';
import { headersOf } from '../security.exception.js';
import { GRAPHQL_MODULE_OPTIONS, isGateway, transportHandlers } from '../../transports/handlers.js';
import { connectionContext, connectionHandlerOf, installConnectionHook, setConnectionCheck } from '../../transports/websocket.js';
import { ConnectionWatch } from '../../transports/connection-watch.js';
import { checkSchemeName, SecurityScheme } from '../../schemes/security-scheme.js';
import { APIKeyCookie } from '../../schemes/api-key.js';
import { CrossSiteCheck } from '../cross-site.js';
import {
  NEST_GUARDS_METADATA,
  NEST_PATH_METADATA,
  SECURITY_GLOBAL_GUARD,
  SECURITY_MODULE_OPTIONS,
  SECURITY_GUARD_MARKER,
  SECURITY_REQUIREMENTS_METADATA,
  SKIP_SECURITY_METADATA,
} from '../security.constants.js';
import { toDeclaredRequirement, type DeclaredRequirement } from '../security.decorator.js';
import {
  checkDocumentedSize,
  composeRequirements,
  documentedSecurity,
  type RequirementEntry,
  type RequirementLevel,
  type SecurityRequirementObject,
} from '../security.requirements.js';
import { writeSwaggerMetadata } from '../../openapi/security.swagger-metadata.js';
import type {
  ScopesReader,
  SecuritySchemeRegistration,
  SecuritySchemesModuleOptions,
  SecurityValidator,
} from '../security-options.interface.js';
import { SecurityScopes } from '../security-scopes.js';
import { RefusalReporter } from '../security-refusal.js';
import type { ClaimRequirement } from '../claim-checks.js';
import { CompiledStepUp } from '../step-up.js';
import { RevocationStore } from '../../revocation/revocation-store.js';
import type { CompiledRoute, CompiledScheme, SchemeBinding, SchemeGuardClass } from './compiled-route.js';
import { connectDPoP } from '../../tokens/dpop/connect-dpop.js';

const ROUTE_ERROR_HINT = 'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).';

/**
 * The one source of truth for "what does this route require". It registers the schemes, compiles
 * every route's requirement once (at start-up), and both the guard and the OpenAPI writer read it.
 */
@Injectable()
export class SecurityRegistry implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly getScopes: ScopesReader;
  readonly userProperty: string | false;
  /** Reports refused requests (debug line, `onRefusal` hook). */
  readonly refusals: RefusalReporter;
  private readonly logger = new Logger('SecuritySchemesModule');
  private readonly bindings = new Map<string, SchemeBinding>();
  private readonly defaults: DeclaredRequirement[];
  private readonly routes = new Map<Function, Map<Function, CompiledRoute>>();
  private discovered = false;
  private readonly allowUnguardedRoutes: boolean;
  /** The `crossSite` option, checked; undefined when it is off. */
  readonly crossSite: CrossSiteCheck | undefined;
  /** Names of the schemes whose credentials come from a cookie. */
  private readonly cookieCarried = new Set<string>();

  constructor(
    @Inject(SECURITY_MODULE_OPTIONS) options: SecuritySchemesModuleOptions,
    @Inject(SECURITY_GLOBAL_GUARD) private readonly globalGuard: boolean,
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Optional() private readonly revocation?: RevocationStore,
  ) {
    checkSingleRegistration(moduleRef); // before the schemes: a second forRoot would fail later with a vaguer message
    if (!options || !Array.isArray(options.schemes)) {
      throw new Error('SecuritySchemesModule: options.schemes must be an array of security schemes.');
    }
    for (const entry of options.schemes) this.register(entry);
    this.defaults = (options.defaultSecurity ?? []).map((input) => toDeclaredRequirement(input, 'defaultSecurity'));
    for (const requirement of this.defaults) {
      for (const { scheme } of requirement) this.bindingFor(scheme, 'defaultSecurity');
    }
    this.getScopes = options.getScopes ?? readGrantedScopes;
    this.allowUnguardedRoutes = options.allowUnguardedRoutes === true;
    this.userProperty = options.userProperty ?? 'user';
    if (options.onRefusal !== undefined && typeof options.onRefusal !== 'function') {
      throw new Error('SecuritySchemesModule: onRefusal must be a function (refusal) => void.');
    }
    this.refusals = new RefusalReporter(options.onRefusal);
    this.crossSite = CrossSiteCheck.fromOptions(options.crossSite);
    // Compiled now, not at init: apps call SwaggerModule.createDocument before init()/listen().
    this.compileAll();
    this.discoverTransportHandlers();
  }

  async onModuleInit(): Promise<void> {
    for (const binding of this.bindings.values()) {
      this.resolveValidator(binding);
      // JwtValidator (or any validator with this method) checks the module's revocation store unless it has its own.
      const validator = binding.validator as { useModuleRevocationStore?: (store: RevocationStore) => void } | undefined;
      if (this.revocation && typeof validator?.useModuleRevocationStore === 'function') validator.useModuleRevocationStore(this.revocation);
      connectDPoP(binding.scheme, binding.validator); // a validator with `dpop`: its scheme takes `Authorization: DPoP`
    }
    this.checkTransportsAtStartup();
    // Token validators fetch their issuers' discovery and keys once (a provider that is down is not fatal;
    // a configured issuer that does not match the discovered one is logged as a configuration error).
    const validators = new Set([...this.bindings.values()].map((binding) => binding.validator));
    await Promise.all(
      [...validators].map((validator) => (validator as { onSecurityModuleInit?: () => Promise<void> } | undefined)?.onSecurityModuleInit?.()),
    );
  }

  /**
   * Global guards are all known by now, whichever way the application registered them: a requirement
   * no security guard runs for, or a `SchemeGuard` registered globally, is a start-up error.
   */
  onApplicationBootstrap(): void {
    const globalGuards = this.globalGuards();
    checkNoGlobalSchemeGuard(globalGuards);
    const guarded = this.globalGuard || globalGuards.some(isSecurityGuardInstance);
    if (guarded) warnAboutThrottlerOrder(this.logger, globalGuards, this.compiledRoutes());
    if (guarded) return;
    const unguarded = this.compiledRoutes().filter(
      (route) => route.alternatives.length > 0 && !isGateway(route.controller) && !hasSecurityGuard(route.controller, route.handler),
    );
    if (unguarded.length === 0) return;
    const names = unguarded.map((route) => `${route.controller.name}.${route.methodName}`);
    const explanation =
      'declare security but no security guard runs on them (globalGuard is off): register SecurityGuard as a global guard ' +
      '({ provide: APP_GUARD, useExisting: SecurityGuard } or app.useGlobalGuards(app.get(SecurityGuard))) or add ' +
      '@UseGuards(SecurityGuard) to their controllers';
    if (!this.allowUnguardedRoutes) {
      throw new Error(
        `SecuritySchemesModule: ${names.join(', ')} ${explanation}. If the application enforces these requirements another ` +
          'way, set allowUnguardedRoutes: true.',
      );
    }
    for (const name of names) {
      this.logger.warn(
        `${name} declares security but no security guard runs on it (globalGuard is off); started because allowUnguardedRoutes ` +
          'is set: the application must enforce it another way.',
      );
    }
  }

  /** The application's global guards in the order Nest runs them (APP_GUARD providers, then useGlobalGuards). */
  private globalGuards(): unknown[] {
    const config = (this.moduleRef as unknown as { container?: { applicationConfig?: { getGlobalGuards(): unknown[] } } })
      .container?.applicationConfig;
    if (config) return config.getGlobalGuards();
    return this.discovery
      .getProviders()
      .filter((wrapper) => String(wrapper.token).startsWith(APP_GUARD))
      .map((wrapper) => wrapper.instance);
  }

  /** Every registered scheme, in registration order. */
  schemes(): SecurityScheme[] {
    return [...this.bindings.values()].map((binding) => binding.scheme);
  }

  /**
   * @internal For the testing kit (`fakeValidators`, lib/testing/fake-validators.ts) only: from now on the scheme named
   * `schemeName` is validated by `validator`. Its extraction, its challenge and every compiled route check
   * (scopes, claims, step-up) stay as they are; the replaced validator is never resolved or called.
   */
  replaceValidator(schemeName: string, validator: SecurityValidator): void {
    const binding = this.bindings.get(schemeName);
    if (!binding) {
      throw new Error(
        `SecuritySchemesModule: no scheme is registered as "${schemeName}"; registered: ${[...this.bindings.keys()].join(', ') || '(none)'}.`,
      );
    }
    Object.assign(binding, { validatorType: undefined, validator, requestScoped: false });
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
          this.compile(controller, handler, methodName);
        }
      }
    }
    this.discovered = true;
  }

  // ---- Other transports: GraphQL resolvers, WebSocket gateways, microservice handlers (lib/transports/) ----

  private readonly securedGateways: { wrapper: { metatype: unknown; instance: unknown }; connection: Function }[] = [];
  private readonly securedFieldResolvers: string[] = [];
  /** Gateway connections and graphql-ws subscriptions, closed when their credentials expire or are revoked. */
  readonly connections = new ConnectionWatch(() => this.revocation);

  onApplicationShutdown(): void {
    this.connections.stop();
  }

  /**
   * Compiles the requirement of every resolver and gateway handler at start-up, refuses requirements
   * on microservice handlers (nothing there carries credentials the schemes can read), and hooks the
   * connections of secured gateways. Runs when the registry is created: Nest binds gateways to their
   * servers before any `onModuleInit`.
   */
  private discoverTransportHandlers(): void {
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const type = wrapper.metatype as Type | undefined;
      if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) continue;
      let secured = false;
      for (const { kind, methodName, handler, field } of transportHandlers(type, this.scanner.getAllMethodNames(type.prototype))) {
        if (this.requirementFor(type, handler).alternatives.length === 0) continue;
        if (kind === 'rpc') {
          throw new Error(
            `${type.name}.${methodName}: security schemes cannot protect microservice handlers ` +
              '(@MessagePattern/@EventPattern carry no request credentials). Remove @Security/@SecurityAll there, ' +
              'or add @SkipSecurity() to leave it out of defaultSecurity.',
          );
        }
        if (kind === 'ws' && !hasSecurityGuard(type, handler)) {
          throw new Error(
            `${type.name}.${methodName}: Nest does not run global guards on WebSocket gateways, so nothing would ` +
              `enforce its security requirement. Add @UseGuards(SecurityGuard) to ${type.name} (or @SkipSecurity() to leave it unprotected).`,
          );
        }
        if (field) this.securedFieldResolvers.push(`${type.name}.${methodName}`);
        secured = true;
      }
      if (!isGateway(type)) continue;
      const connection = connectionHandlerOf(type);
      if (this.requirementFor(type, connection).alternatives.length > 0) secured = true;
      if (!secured) continue;
      installConnectionHook(type);
      this.securedGateways.push({ wrapper, connection });
    }
  }

  /**
   * Start-up checks that need the application's providers: secured `@ResolveField` handlers need
   * GraphQL's `fieldResolverEnhancers: ['guards']` (without it no guard runs on them), and each
   * secured gateway instance gets its connection check (the class-level requirement, run by the guard).
   */
  private checkTransportsAtStartup(): void {
    if (this.securedFieldResolvers.length > 0) {
      const options = this.optionalProvider<{ fieldResolverEnhancers?: string[] }>(GRAPHQL_MODULE_OPTIONS);
      if (options && !options.fieldResolverEnhancers?.includes('guards')) {
        throw new Error(
          `${this.securedFieldResolvers.join(', ')}: @ResolveField handlers with security requirements need ` +
            "GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards'] }); without it no guard runs on them.",
        );
      }
    }
    const guard = this.discovery
      .getProviders()
      .find((wrapper) => typeof wrapper.metatype === 'function' && SECURITY_GUARD_MARKER in wrapper.metatype)?.instance as
      | CanActivate
      | undefined;
    for (const { wrapper, connection } of this.securedGateways) {
      const gateway = wrapper.metatype as Type;
      if (!guard || !wrapper.instance || this.requirementFor(gateway, connection).alternatives.length === 0) continue;
      setConnectionCheck(wrapper.instance as object, async (client, request) => {
        try {
          return (await guard.canActivate(connectionContext(gateway, connection, client, request))) === true;
        } catch {
          return false; // the guard has already closed the connection with the reason
        }
      });
    }
  }

  private optionalProvider<T>(token: string): T | undefined {
    try {
      return this.moduleRef.get<T>(token, { strict: false });
    } catch {
      return undefined;
    }
  }

  // ---- end of other transports ----

  private register(entry: SecurityScheme | SecuritySchemeRegistration): void {
    const registration = entry instanceof SecurityScheme ? { scheme: entry } : entry;
    const scheme = registration?.scheme;
    if (!(scheme instanceof SecurityScheme)) {
      throw new Error(`SecuritySchemesModule: ${String(scheme)} is not a security scheme (APIKeyHeader, HTTPBearer, ...).`);
    }
    checkSchemeName(`SecuritySchemesModule: scheme ${scheme.constructor.name}`, scheme.schemeName); // a subclass may override schemeName
    checkChallenge(scheme);
    const existing = this.bindings.get(scheme.schemeName);
    if (existing && existing.scheme !== scheme) {
      throw new Error(
        `SecuritySchemesModule: two different schemes share the scheme name "${scheme.schemeName}": ` +
          `${describe(existing.scheme)} and ${describe(scheme)}. Give each a distinct schemeName.`,
      );
    }
    const validator = registration.validator as Type<SecurityValidator> | SecurityValidator | undefined;
    if (validator !== undefined && typeof validator !== 'function' && typeof validator?.validate !== 'function') {
      throw new Error(
        `SecuritySchemesModule: the validator of scheme "${scheme.schemeName}" must be a provider class or an object ` +
          'with a validate(credentials, securityScopes, context) method.',
      );
    }
    const { validatedBy } = registration as SecuritySchemeRegistration;
    if (validatedBy !== undefined && validatedBy !== 'handler') {
      throw new Error(`SecuritySchemesModule: validatedBy of scheme "${scheme.schemeName}" can only be 'handler', got ${JSON.stringify(validatedBy)}.`);
    }
    if (validatedBy !== undefined && validator !== undefined) {
      throw new Error(
        `SecuritySchemesModule: scheme "${scheme.schemeName}" has a validator and validatedBy: 'handler'; give one: ` +
          'the validator checks the credentials, or the handler does.',
      );
    }
    const { credentialsFromCookie } = registration as SecuritySchemeRegistration;
    if (credentialsFromCookie !== undefined && credentialsFromCookie !== true) {
      throw new Error(
        `SecuritySchemesModule: credentialsFromCookie of scheme "${scheme.schemeName}" can only be true, got ${JSON.stringify(credentialsFromCookie)} ` +
          '(to leave routes out of the cross-site check, use crossSite: false or @SkipCrossSiteCheck()).',
      );
    }
    if (credentialsFromCookie || scheme instanceof APIKeyCookie) this.cookieCarried.add(scheme.schemeName);
    const handlerValidates = validatedBy === 'handler' || existing?.handlerValidates === true;
    const previous = existing?.validatorType ?? existing?.validator;
    if (existing && (validator ?? previous) && handlerValidates) {
      throw new Error(
        `SecuritySchemesModule: scheme "${scheme.schemeName}" is registered both with a validator and with validatedBy: 'handler'.`,
      );
    }
    if (existing && validator && previous && previous !== validator) {
      throw new Error(`SecuritySchemesModule: scheme "${scheme.schemeName}" is registered with two different validators.`);
    }
    if (existing && !validator && !handlerValidates) return;
    if (existing && !validator) {
      this.bindings.set(scheme.schemeName, { ...existing, handlerValidates });
      return;
    }
    this.bindings.set(
      scheme.schemeName,
      typeof validator === 'function'
        ? { scheme, validatorType: validator, requestScoped: false, handlerValidates }
        : { scheme, validator, requestScoped: false, handlerValidates },
    );
    connectDPoP(scheme, validator); // now too, so that the OpenAPI answers compiled below have DPoP's challenge
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
    const levels: RequirementLevel<SchemeBinding>[] = [
      { alternatives: this.resolve(this.defaults, route), skip: false },
      ...[...classChain(controller), handler].flatMap((target) => this.levelsOf(target, route)),
    ];
    const terms = composeRequirements(levels, nameOf, route);
    const alternatives = terms.map((term) => ({ schemes: term.map((entry) => this.compileScheme(entry, route)) }));
    const security = documentedSecurity(terms, nameOf);
    checkDocumentedSize(security, route);
    const compiled: CompiledRoute = {
      controller,
      handler,
      methodName,
      alternatives,
      single: alternatives.length === 1 && alternatives[0].schemes.length === 1 ? alternatives[0].schemes[0] : undefined,
      optional: alternatives.some((alternative) => alternative.schemes.every((scheme) => scheme.optional)),
      optedOut: levels.some((level, index) => index > 0 && level.skip),
      security,
      crossSite: this.crossSite?.forRoute(controller, handler, alternatives),
    };
    let byHandler = this.routes.get(controller);
    if (!byHandler) this.routes.set(controller, (byHandler = new Map()));
    byHandler.set(handler, compiled);
    writeSwaggerMetadata(this, compiled);
    return compiled;
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
        const binding = this.bindingFor(scheme, route);
        return { ...rest, scheme: binding, optional: optional || !binding.scheme.autoError };
      }),
    );
  }

  private compileScheme(entry: RequirementEntry<SchemeBinding>, route: string): CompiledScheme {
    const { scheme: binding, optional, claims = [], stepUp } = entry;
    const scopes = [...entry.scopes];
    const { scheme } = binding;
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
      fromCookie: this.cookieCarried.has(scheme.schemeName),
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

/**
 * Default `getScopes`, for principals returned without a `grant()`: `principal.scopes` (array) or
 * `principal.scope` (space-separated).
 */
export function readGrantedScopes(principal: unknown): readonly string[] | undefined {
  if (principal === null || typeof principal !== 'object') return undefined;
  const { scopes, scope } = principal as { scopes?: unknown; scope?: unknown };
  if (Array.isArray(scopes)) return scopes;
  if (typeof scope === 'string') return scope.split(' ');
  return undefined;
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
function classChain(controller: Type): Function[] {
  const chain: Function[] = [];
  for (let type: Function | null = controller; type && type !== Function.prototype; type = Object.getPrototypeOf(type)) {
    chain.unshift(type);
  }
  return chain;
}

function isSecurityGuardInstance(guard: unknown): boolean {
  return typeof guard === 'object' && guard !== null && SECURITY_GUARD_MARKER in guard.constructor;
}

/**
 * `SchemeGuard(scheme)` declares its requirement where `@UseGuards` applies it; as a global guard it is
 * applied nowhere, so it would enforce nothing of its own. The same requirement on every route is `defaultSecurity`.
 */
function checkNoGlobalSchemeGuard(globalGuards: readonly unknown[]): void {
  for (const guard of globalGuards) {
    const requirement = (guard as { constructor?: Partial<SchemeGuardClass> } | null)?.constructor?.securityRequirement;
    if (!requirement) continue;
    const name = typeof requirement.scheme === 'string' ? requirement.scheme : requirement.scheme.schemeName;
    throw new Error(
      `SecuritySchemesModule: SchemeGuard(${name}) is registered as a global guard, where it declares no requirement and ` +
        `would enforce nothing of its own. To require "${name}" on every route, use ` +
        `SecuritySchemesModule.forRoot({ defaultSecurity: [...] }) (and @SkipSecurity() for public routes); keep SchemeGuard for @UseGuards.`,
    );
  }
}

/** True when a guard is `@nestjs/throttler`'s ThrottlerGuard or a subclass (matched by class name: the package is not imported). */
function isThrottlerGuard(guard: unknown): boolean {
  for (let type = typeof guard === 'function' ? guard : (guard as object | null)?.constructor; type && type !== Object; type = Object.getPrototypeOf(type)) {
    if ((type as Function).name === 'ThrottlerGuard') return true;
  }
  return false;
}

/**
 * Guards run in order: global ones (APP_GUARD providers in the order their modules are scanned, then
 * `useGlobalGuards`), then the controller's and the handler's `@UseGuards`. A ThrottlerGuard after the
 * security guard never sees refused credentials, so brute-forcing keys is not throttled: warn.
 */
function warnAboutThrottlerOrder(logger: Logger, globalGuards: readonly unknown[], routes: readonly CompiledRoute[]): void {
  const security = globalGuards.findIndex(isSecurityGuardInstance);
  const throttler = globalGuards.findIndex(isThrottlerGuard);
  if (security >= 0 && throttler > security) {
    logger.warn(
      'ThrottlerGuard runs after SecurityGuard (global guards run in the order they are registered), so refused credentials ' +
        'are never counted and guessing keys or passwords is not throttled. Register the ThrottlerGuard first: set ' +
        'globalGuard: false and list { provide: APP_GUARD, useClass: ThrottlerGuard } before { provide: APP_GUARD, useExisting: SecurityGuard }.',
    );
    return;
  }
  if (security < 0 || throttler >= 0) return;
  const late = routes.filter(
    (route) =>
      route.alternatives.length > 0 &&
      [...classChain(route.controller), route.handler].some((target) =>
        ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[]).some(isThrottlerGuard),
      ),
  );
  if (late.length === 0) return;
  logger.warn(
    `${late.map((route) => `${route.controller.name}.${route.methodName}`).join(', ')}: @UseGuards(ThrottlerGuard) runs after the ` +
      'global SecurityGuard, so refused credentials are never counted. Register ThrottlerGuard globally before SecurityGuard ' +
      '(globalGuard: false, then both as APP_GUARD in that order).',
  );
}

/** True when SecurityGuard or a SchemeGuard is applied with @UseGuards on the route or its controllers. */
function hasSecurityGuard(controller: Type, handler: Function): boolean {
  return [...classChain(controller), handler].some((target) =>
    ((Reflect.getOwnMetadata(NEST_GUARDS_METADATA, target) ?? []) as unknown[]).some(
      (guard) => typeof guard === 'function' && SECURITY_GUARD_MARKER in guard,
    ),
  );
}

function nameOf(binding: SchemeBinding): string {
  return binding.scheme.schemeName;
}

/** A challenge Node cannot send (e.g. from a subclass) fails at start-up, not as a 500 on every request. */
function checkChallenge(scheme: SecurityScheme): void {
  const owner = `SecuritySchemesModule: scheme "${scheme.schemeName}" (${scheme.constructor.name})`;
  checkResponseHeaders(`${owner} makeAuthenticateHeaders()`, scheme.makeAuthenticateHeaders());
  checkResponseHeaders(`${owner} makeNotAuthenticatedError()`, headersOf(scheme.makeNotAuthenticatedError()));
}

function describe(scheme: SecurityScheme): string {
  return `${scheme.constructor.name}(${JSON.stringify(scheme.toOpenAPI())})`;
}
