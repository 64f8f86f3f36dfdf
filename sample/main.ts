import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { isDevelopmentMode } from './auth/signing-key.js';
import { createSampleApp, DOCS_PATH } from './setup.js';

/**
 * Starts the sample: Express by default, `PLATFORM=fastify` for Fastify; `PORT` (3000, 0 for any free port)
 * and `HOST` (127.0.0.1). `NODE_ENV=development` is the development mode (`npm run sample` sets it); without
 * it the sample starts only with a proper SECRET_KEY.
 */
async function bootstrap(): Promise<void> {
  const platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  if (isDevelopmentMode(process.env)) {
    Logger.warn('Development mode (NODE_ENV=development): not for production. Unset NODE_ENV=development and set SECRET_KEY to deploy.', 'Sample');
  }
  const app = await createSampleApp(platform);
  app.enableShutdownHooks();
  await app.listen(port, host);
  const listening = (app.getHttpServer().address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${listening}`;
  Logger.log(`Sample on ${platform}: Swagger UI at ${url}/${DOCS_PATH}, OpenAPI JSON at ${url}/${DOCS_PATH}-json`, 'Sample');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), error instanceof Error ? error.stack : undefined, 'Sample');
  process.exit(1);
});
