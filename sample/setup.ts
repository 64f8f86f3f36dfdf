import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { applySecurityToDocument, enableMultipartForms } from 'nestjs-security-schemes';
import { AppModule } from './app.module.js';
import { applyServerTimeouts, serverTimeoutsFrom } from './server-timeouts.js';
import { idpSwaggerOptions } from './idp/idp.schemes.js';

export type Platform = 'express' | 'fastify';

/** Swagger UI is served at /docs, the OpenAPI document at /docs-json. */
export const DOCS_PATH = 'docs';

const DESCRIPTION = `FastAPI's security tutorials, ported to NestJS with nestjs-security-schemes.

Log in: **Authorize** → OAuth2PasswordBearer → user name \`johndoe\`, password \`secret\`, tick \`me\` (and \`items\`) → Authorize.
Then try \`GET /users/me/items\`: 200 with \`me items\`, 403 insufficient_scope with \`me\` only.`;

/**
 * Adds what the sample needs on top of the application: server timeouts (REQUEST_TIMEOUT_MS...), form
 * bodies on Fastify, and Swagger UI at /docs with the security schemes written by `applySecurityToDocument`.
 * Call it before `init`/`listen`. Returns the OpenAPI document.
 */
export function configureApp(app: INestApplication, env: NodeJS.ProcessEnv = process.env): OpenAPIObject {
  applyServerTimeouts(app.getHttpServer(), serverTimeoutsFrom(env));
  enableMultipartForms(app);
  const config = new DocumentBuilder()
    .setTitle('nestjs-security-schemes sample')
    .setDescription(DESCRIPTION)
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: the API is wherever this document is served from (any host, any port).
    .addServer('/')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  applySecurityToDocument(app, document);
  SwaggerModule.setup(DOCS_PATH, app, document, { swaggerOptions: { persistAuthorization: false, ...idpSwaggerOptions() } });
  return document;
}

/** The HTTP adapter of the platform. Fastify ignores a trailing slash, as Express does (`/users/me/`). */
export function createAdapter(platform: Platform): ExpressAdapter | FastifyAdapter {
  return platform === 'fastify' ? new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }) : new ExpressAdapter();
}

/** The whole sample, configured but not listening yet: `await (await createSampleApp('fastify')).listen(0)`. */
export async function createSampleApp(platform: Platform, options: NestApplicationOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, createAdapter(platform), options);
  configureApp(app);
  return app;
}
