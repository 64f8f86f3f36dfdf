import { Logger } from '@nestjs/common';
import { createSampleApp, DOCS_PATH } from './setup.js';

/** Starts the sample: Express by default, `PLATFORM=fastify` for Fastify; `PORT` (3000) and `HOST` (127.0.0.1). */
async function bootstrap(): Promise<void> {
  const platform = process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const app = await createSampleApp(platform);
  app.enableShutdownHooks();
  await app.listen(port, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  Logger.log(`Sample on ${platform}: Swagger UI at ${url}/${DOCS_PATH}, OpenAPI JSON at ${url}/${DOCS_PATH}-json`, 'Sample');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), error instanceof Error ? error.stack : undefined, 'Sample');
  process.exit(1);
});
