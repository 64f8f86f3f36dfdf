import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { applySecurityToDocument } from 'nestjs-security-schemes';

/** The OpenAPI document of `app` with its security written by `applySecurityToDocument`. */
export function buildDocument(
  app: INestApplication,
  configure: (builder: DocumentBuilder) => DocumentBuilder = (builder) => builder,
): OpenAPIObject {
  const config = configure(new DocumentBuilder().setTitle('test').setVersion('1')).build();
  return applySecurityToDocument(app, SwaggerModule.createDocument(app, config));
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every operation's `security`, keyed `"GET /path"`; `null` when the operation has no `security` key.
 * Compare with `toStrictEqual` so a missing operation or an extra key fails.
 */
export function securityByOperation(document: OpenAPIObject): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) result[`${method.toUpperCase()} ${path}`] = 'security' in operation ? operation.security : null;
    }
  }
  return result;
}
