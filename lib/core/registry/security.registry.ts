import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { RevocationStore } from '../../revocation/revocation-store.js';
import type { SecurityScheme } from '../../schemes/security-scheme.js';
import { ConnectionWatch } from '../../transports/connection-watch.js';
import { CrossSiteCheck } from '../cross-site.js';
import { NEST_PATH_METADATA, SECURITY_GLOBAL_GUARD, SECURITY_MODULE_OPTIONS } from '../security.constants.js';
import { toDeclaredRequirement } from '../security.decorator.js';
import type { ScopesReader, SecuritySchemesModuleOptions, SecurityValidator } from '../security-options.interface.js';
import { RefusalReporter } from '../security-refusal.js';
import { checkSingleRegistration } from '../single-registration.js';
import type { CompiledRoute } from './compiled-route.js';
import { checkGuardCoverage } from './guard-coverage.js';
import { RouteCompiler } from './route-compiler.js';
import { SchemeBindings } from './scheme-bindings.js';
import { TransportRoutes } from './transport-routes.js';

/**
 * The one source of truth for "what does this route require". It registers the schemes
 * (scheme-bindings.ts), finds every route of every transport and compiles its requirement once, at
 * start-up (route-compiler.ts, transport-routes.ts), and checks that a security guard enforces each
 * (guard-coverage.ts). The guard and the OpenAPI writer (lib/openapi/) both read the compiled routes.
 */
@Injectable()
export class SecurityRegistry implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly getScopes: ScopesReader;
  readonly userProperty: string | false;
  /** Reports refused requests (debug line, `onRefusal` hook). */
  readonly refusals: RefusalReporter;
  /** The `crossSite` option, checked; undefined when it is off. */
  readonly crossSite: CrossSiteCheck | undefined;
  /** Gateway connections and graphql-ws subscriptions, closed when their credentials expire or are revoked. */
  readonly connections = new ConnectionWatch(
    () => this.revocation,
    (refusal, { handler, context }) => this.refusals.report(refusal, handler, context),
  );
  private readonly logger = new Logger('SecuritySchemesModule');
  private readonly bindings: SchemeBindings;
  private readonly compiler: RouteCompiler;
  private readonly transports: TransportRoutes;
  private readonly routes = new Map<Function, Map<Function, CompiledRoute>>();
  private discovered = false;
  private readonly allowUnguardedRoutes: boolean;

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
    this.bindings = new SchemeBindings(options.schemes);
    const defaults = (options.defaultSecurity ?? []).map((input) => toDeclaredRequirement(input, 'defaultSecurity'));
    for (const requirement of defaults) {
      for (const { scheme } of requirement) this.bindings.bindingFor(scheme, 'defaultSecurity');
    }
    this.getScopes = options.getScopes ?? readGrantedScopes;
    this.allowUnguardedRoutes = options.allowUnguardedRoutes === true;
    this.userProperty = options.userProperty ?? 'user';
    if (options.onRefusal !== undefined && typeof options.onRefusal !== 'function') {
      throw new Error('SecuritySchemesModule: onRefusal must be a function (refusal) => void.');
    }
    this.refusals = new RefusalReporter(options.onRefusal);
    this.crossSite = CrossSiteCheck.fromOptions(options.crossSite);
    this.compiler = new RouteCompiler(this.bindings, defaults, this.crossSite, this.logger);
    // Compiled now, not at init: apps call SwaggerModule.createDocument before init()/listen().
    this.compileAll();
    this.transports = new TransportRoutes(discovery, scanner, (type, handler) => this.requirementFor(type, handler));
    this.transports.discover();
  }

  async onModuleInit(): Promise<void> {
    for (const binding of this.bindings.values()) {
      this.bindings.resolveValidator(binding, this.moduleRef);
      // JwtValidator (or any validator with this method) checks the module's revocation store unless it has its own.
      if (this.revocation) binding.validator?.useModuleRevocationStore?.(this.revocation);
    }
    this.transports.checkAtStartup(this.moduleRef);
    // Token validators fetch their issuers' discovery and keys once (a provider that is down is not fatal;
    // a configured issuer that does not match the discovered one is logged as a configuration error).
    const validators = new Set([...this.bindings.values()].map((binding) => binding.validator));
    await Promise.all([...validators].map((validator) => validator?.onSecurityModuleInit?.()));
  }

  /**
   * Global guards are all known by now, whichever way the application registered them: a requirement
   * no security guard runs for, or a `SchemeGuard` registered globally, is a start-up error.
   */
  onApplicationBootstrap(): void {
    checkGuardCoverage({
      logger: this.logger,
      globalGuards: this.globalGuards(),
      globalGuard: this.globalGuard,
      allowUnguardedRoutes: this.allowUnguardedRoutes,
      routes: this.compiledRoutes(),
    });
  }

  onApplicationShutdown(): void {
    this.connections.stop();
  }

  /** Every registered scheme, in registration order. */
  schemes(): SecurityScheme[] {
    return [...this.bindings.values()].map((binding) => binding.scheme);
  }

  /**
   * @internal For the testing kit (`fakeValidators`, lib/testing/fake-validators.ts) only: from now on the
   * scheme named `schemeName` is validated by `validator`. Its extraction, its challenge and every compiled
   * route check (scopes, claims, step-up) stay as they are; the replaced validator is never resolved or called.
   */
  replaceValidator(schemeName: string, validator: SecurityValidator): void {
    this.bindings.replaceValidator(schemeName, validator);
  }

  /** The compiled requirement of a route; compiled on first sight if start-up did not see it. */
  requirementFor(controller: Type, handler: Function): CompiledRoute {
    return this.routes.get(controller)?.get(handler) ?? this.compile(controller, handler, handler.name);
  }

  /** Every route, compiled. Read by the OpenAPI writer. */
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

  private compile(controller: Type, handler: Function, methodName: string): CompiledRoute {
    const compiled = this.compiler.compile(controller, handler, methodName);
    let byHandler = this.routes.get(controller);
    if (!byHandler) this.routes.set(controller, (byHandler = new Map()));
    byHandler.set(handler, compiled);
    return compiled;
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
