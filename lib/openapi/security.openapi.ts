import type { INestApplicationContext } from '@nestjs/common';
import { SecurityRegistry } from '../core/registry/security.registry.js';
import { noteSchemesApplied } from './security.swagger-metadata.js';

export { toSecurity } from './security.swagger-metadata.js';

/** @deprecated Operations are no longer matched by operationId; this option is ignored. */
export interface SecurityDocumentOptions {
  /** Ignored: kept so existing calls still compile. */
  operationIdFactory?: (controllerKey: string, methodKey: string, version?: string) => string;
}

/** The part of an OpenAPI document this library writes (structurally, `OpenAPIObject` of @nestjs/swagger). */
export interface OpenAPIDocumentWithComponents {
  components?: { securitySchemes?: object };
}

/**
 * Adds every registered scheme to `components.securitySchemes` of a document made by
 * `SwaggerModule.createDocument`, next to the schemes the `DocumentBuilder` declared (a scheme of the
 * same name is replaced by the registered one). Call it before `SwaggerModule.setup`; returns the document.
 *
 * Each operation's `security` and its 401/403 answers are already in the document: the library writes
 * them into @nestjs/swagger's metadata when it compiles the routes, so `createDocument` emits them.
 */
export function applySecurityToDocument<TDocument extends OpenAPIDocumentWithComponents>(
  app: INestApplicationContext,
  document: TDocument,
  _options: SecurityDocumentOptions = {},
): TDocument {
  const registry = app.get(SecurityRegistry, { strict: false });
  const schemes: Record<string, unknown> = {};
  for (const scheme of registry.schemes()) schemes[scheme.schemeName] = scheme.toOpenAPI();
  document.components ??= {};
  document.components.securitySchemes = { ...document.components.securitySchemes, ...schemes };
  noteSchemesApplied();
  return document;
}
