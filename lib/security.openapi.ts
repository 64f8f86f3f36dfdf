import type { INestApplicationContext } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { SecurityRegistry, type CompiledRoute } from './security.registry.js';
import type { SecurityRequirementObject } from './security.requirements.js';

type OperationIdFactory = (controllerKey: string, methodKey: string, version?: string) => string;

export interface SecurityDocumentOptions {
  /** The `operationIdFactory` given to `SwaggerModule.createDocument`, if any: operations are matched to routes by it. */
  operationIdFactory?: OperationIdFactory;
}


const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'search'];
const defaultOperationId: OperationIdFactory = (controllerKey, methodKey) =>
  controllerKey ? `${controllerKey}_${methodKey}` : methodKey;

/**
 * Writes security into a document made by `SwaggerModule.createDocument`, from the same compiled
 * requirements the guard enforces: every registered scheme into `components.securitySchemes`, and
 * each operation's `security` (one object per alternative; an AND is one object with several keys;
 * `{}` last when the route is optional). Call it before `SwaggerModule.setup`. Returns the document.
 */
export function applySecurityToDocument(
  app: INestApplicationContext,
  document: OpenAPIObject,
  options: SecurityDocumentOptions = {},
): OpenAPIObject {
  const registry = app.get(SecurityRegistry, { strict: false });

  const schemes: Record<string, unknown> = {};
  for (const scheme of registry.schemes()) schemes[scheme.schemeName] = scheme.toOpenAPI();
  document.components ??= {};
  document.components.securitySchemes = { ...document.components.securitySchemes, ...schemes } as never;

  const routes = routesByOperationId(registry.compiledRoutes(), options.operationIdFactory ?? defaultOperationId);
  const hasTopLevelSecurity = (document.security?.length ?? 0) > 0;
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, { operationId?: string; security?: SecurityRequirementObject[] }>)[method];
      if (!operation) continue;
      const route = findRoute(routes, operation.operationId);
      if (!route) {
        throw new Error(
          `applySecurityToDocument: cannot tell which route ${method.toUpperCase()} ${path} (operationId ` +
            `${JSON.stringify(operation.operationId)}) is. Pass the operationIdFactory given to SwaggerModule.createDocument.`,
        );
      }
      const security = toSecurity(route);
      if (security.length > 0) operation.security = security;
      else if (hasTopLevelSecurity) operation.security = [];
      else delete operation.security;
    }
  }
  return document;
}

/** A route's requirement as an OpenAPI `security` list (compiled with the route). */
export function toSecurity(route: CompiledRoute): SecurityRequirementObject[] {
  return route.security.map((requirement) => ({ ...requirement }));
}

function routesByOperationId(routes: CompiledRoute[], factory: OperationIdFactory): Map<string, CompiledRoute> {
  const byId = new Map<string, CompiledRoute>();
  for (const route of routes) {
    const id = factory(route.controller.name, route.methodName);
    const other = byId.get(id);
    if (other && other !== route && JSON.stringify(toSecurity(other)) !== JSON.stringify(toSecurity(route))) {
      throw new Error(
        `applySecurityToDocument: two routes map to operationId "${id}" with different security. ` +
          'Give the controllers distinct class names or pass an operationIdFactory.',
      );
    }
    byId.set(id, route);
  }
  return byId;
}

/**
 * Finds the route of an operationId. Swagger may append a version or an HTTP method (`_v1`, `_get`)
 * or an alias index (`[0]`) to the id the factory gives, so those suffixes are tried off in turn.
 */
function findRoute(routes: Map<string, CompiledRoute>, operationId: string | undefined): CompiledRoute | undefined {
  let id = operationId;
  while (id) {
    const route = routes.get(id) ?? routes.get(id.replace(/\[\d+\]$/, ''));
    if (route) return route;
    const cut = id.lastIndexOf('_');
    id = cut > 0 ? id.slice(0, cut) : undefined;
  }
  return undefined;
}
