// Which handlers of a class belong to which transport, read from the metadata the transport
// packages leave on them. The keys are repeated here so that no transport package is imported.

/** `@nestjs/graphql`: `@Query`/`@Mutation`/`@Subscription` and `@ResolveField`. */
const GRAPHQL_RESOLVER_TYPE = 'graphql:resolver_type';
const GRAPHQL_RESOLVE_PROPERTY = 'graphql:resolve_property';
/** `@nestjs/websockets`: `@WebSocketGateway` on the class, `@SubscribeMessage` on handlers. */
const GATEWAY = 'websockets:is_gateway';
const MESSAGE_MAPPING = 'websockets:message_mapping';
/** `@nestjs/microservices`: `@MessagePattern`/`@EventPattern` (and `@GrpcMethod`, which uses them). */
const MICROSERVICE_PATTERN = 'microservices:pattern';

export type TransportKind = 'graphql' | 'ws' | 'rpc';

export interface TransportHandler {
  readonly kind: TransportKind;
  readonly methodName: string;
  readonly handler: Function;
  /** A GraphQL `@ResolveField` handler: guards run on it only with `fieldResolverEnhancers: ['guards']`. */
  readonly field: boolean;
}

/** The token under which `@nestjs/graphql` provides the GraphQL module's options. */
export const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/** True for a `@WebSocketGateway()` class. */
export function isGateway(type: Function): boolean {
  return Reflect.getMetadata(GATEWAY, type) === true;
}

/** The handlers of a class that a transport other than HTTP calls. */
export function transportHandlers(type: Function, methodNames: readonly string[]): TransportHandler[] {
  const handlers: TransportHandler[] = [];
  for (const methodName of methodNames) {
    const handler = type.prototype[methodName];
    if (typeof handler !== 'function') continue;
    const kind = kindOf(handler);
    const field = Reflect.getMetadata(GRAPHQL_RESOLVE_PROPERTY, handler) === true;
    if (kind) handlers.push({ kind, methodName, handler, field });
  }
  return handlers;
}

function kindOf(handler: Function): TransportKind | undefined {
  if (Reflect.getMetadata(MICROSERVICE_PATTERN, handler) !== undefined) return 'rpc';
  if (Reflect.getMetadata(MESSAGE_MAPPING, handler) === true) return 'ws';
  if (
    Reflect.getMetadata(GRAPHQL_RESOLVER_TYPE, handler) !== undefined ||
    Reflect.getMetadata(GRAPHQL_RESOLVE_PROPERTY, handler) !== undefined
  ) {
    return 'graphql';
  }
  return undefined;
}
