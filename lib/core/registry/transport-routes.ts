import type { CanActivate, Type } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { GRAPHQL_MODULE_OPTIONS, isGateway, transportHandlers } from '../../transports/handlers.js';
import { connectionContext, connectionHandlerOf, installConnectionHook, setConnectionCheck } from '../../transports/websocket.js';
import { SECURITY_GUARD_MARKER } from '../security.constants.js';
import type { CompiledRoute } from './compiled-route.js';
import { hasSecurityGuard } from './guard-coverage.js';

type RequirementFor = (type: Type, handler: Function) => CompiledRoute;

/**
 * Routes of the other transports (lib/transports/): GraphQL resolvers, WebSocket gateways, microservice
 * handlers. Found when the registry is created (Nest binds gateways to their servers before any
 * `onModuleInit`); checked again at module init, once the application's providers exist.
 */
export class TransportRoutes {
  private readonly securedGateways: { wrapper: { metatype: unknown; instance: unknown }; connection: Function }[] = [];
  private readonly securedFieldResolvers: string[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly requirementFor: RequirementFor,
  ) {}

  /**
   * Compiles the requirement of every resolver and gateway handler, refuses requirements on microservice
   * handlers (nothing there carries credentials the schemes can read), and hooks the connections of
   * secured gateways.
   */
  discover(): void {
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const type = wrapper.metatype as Type | undefined;
      if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) continue;
      let secured = false;
      for (const { kind, methodName, handler, field } of transportHandlers(type, this.scanner.getAllMethodNames(type.prototype))) {
        const route = kind === 'rpc' ? this.rpcRequirement(type, handler, methodName) : this.requirementFor(type, handler);
        if (route.alternatives.length === 0) continue;
        if (kind === 'rpc') throw microserviceError(type, methodName);
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
   * A microservice handler's requirement. Any requirement there is an error, so one that does not even
   * compile (a scheme without a validator, say) is reported as what it is: a requirement on a handler
   * that carries no credentials.
   */
  private rpcRequirement(type: Type, handler: Function, methodName: string): CompiledRoute {
    try {
      return this.requirementFor(type, handler);
    } catch {
      throw microserviceError(type, methodName);
    }
  }

  /**
   * Secured `@ResolveField` handlers need GraphQL's `fieldResolverEnhancers: ['guards']` (without it no guard
   * runs on them), and each secured gateway instance gets its connection check (the class-level requirement,
   * run by the guard).
   */
  checkAtStartup(moduleRef: ModuleRef): void {
    if (this.securedFieldResolvers.length > 0) {
      const options = optionalProvider<{ fieldResolverEnhancers?: string[] }>(moduleRef, GRAPHQL_MODULE_OPTIONS);
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
}

function microserviceError(type: Type, methodName: string): Error {
  return new Error(
    `${type.name}.${methodName}: security schemes cannot protect microservice handlers ` +
      '(@MessagePattern/@EventPattern carry no request credentials). Remove @Security/@SecurityAll there, ' +
      'or add @SkipSecurity() to leave it out of defaultSecurity.',
  );
}

function optionalProvider<T>(moduleRef: ModuleRef, token: string): T | undefined {
  try {
    return moduleRef.get<T>(token, { strict: false });
  } catch {
    return undefined;
  }
}
