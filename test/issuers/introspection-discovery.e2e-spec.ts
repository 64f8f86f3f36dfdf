import { Controller, Get } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPBearer, IntrospectionValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { CaptureLogger } from '../utils/capture-logger';
import { createTestApp, PLATFORMS, type Platform } from '../utils/platforms';

// IntrospectionValidator finds its endpoint through discovery at start-up. An issuer configured with a
// trailing slash (the provider's discovery names it without) is a configuration error: logged once at
// start-up, and its tokens refused (401, issuer_mismatch), never answered as a retryable outage (503).
// A provider that is down at start-up is logged with the URL and the cause, and is not fatal.

/** A provider with a discovery document and an introspection endpoint that counts its calls. */
async function provider(): Promise<{ server: Server; base: string; introspections: () => number }> {
  let introspections = 0;
  let base = '';
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      return response.end(JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect` }));
    }
    introspections++;
    response.end(JSON.stringify({ active: true, sub: 'ann', scope: 'read' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, introspections: () => introspections };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const bearer = new HTTPBearer({ schemeName: 'bearer' });

@Controller()
class NotesController {
  @Security(bearer, ['read'])
  @Get('notes')
  notes() {
    return { notes: [] };
  }
}

async function start(platform: Platform, issuer: string, logger: CaptureLogger, reasons: RefusalReason[]) {
  const validator = new IntrospectionValidator({ issuer, clientId: 'api', clientSecret: 'api-secret', timeoutMs: 1000 });
  return createTestApp(
    platform,
    {
      imports: [
        SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator }], onRefusal: (refusal) => void reasons.push(refusal.reason) }),
      ],
      controllers: [NotesController],
    },
    (app) => app.useLogger(logger),
  );
}

describe.each(PLATFORMS)('IntrospectionValidator: discovery at start-up (%s)', (platform) => {
  it('an issuer that does not match the discovered one: one ERROR at start-up, then 401 issuer_mismatch, no introspection', async () => {
    const idp = await provider();
    const logger = new CaptureLogger();
    const reasons: RefusalReason[] = [];
    const t = await start(platform, `${idp.base}/`, logger, reasons);
    try {
      const errors = logger.lines.filter((line) => line.level === 'error').map((line) => line.message);
      expect(errors).toEqual([
        `Configuration error: the discovery document ${idp.base}/.well-known/openid-configuration names the issuer ` +
          `${JSON.stringify(idp.base)}, not the configured ${JSON.stringify(`${idp.base}/`)}. Its tokens are refused (issuer_mismatch).`,
      ]);
      for (let i = 0; i < 2; i++) {
        const response = await t.http.get('/notes').set('Authorization', 'Bearer opaque-token');
        expect(response.status).toBe(401);
        expect(response.headers['retry-after']).toBeUndefined();
        expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      }
      expect(reasons).toEqual(['issuer_mismatch', 'issuer_mismatch']);
      expect(idp.introspections()).toBe(0);
      expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1); // logged once, not per request
    } finally {
      await t.close();
      await new Promise((resolve) => idp.server.close(resolve));
    }
  });

  it('the matching issuer introspects as usual', async () => {
    const idp = await provider();
    const t = await start(platform, idp.base, new CaptureLogger(), []);
    try {
      expect((await t.http.get('/notes').set('Authorization', 'Bearer opaque-token')).body).toEqual({ notes: [] });
      expect(idp.introspections()).toBe(1);
    } finally {
      await t.close();
      await new Promise((resolve) => idp.server.close(resolve));
    }
  });

  it('a provider down at start-up is logged with the URL and the cause, and the application starts', async () => {
    const port = await closedPort();
    const logger = new CaptureLogger();
    const t = await start(platform, `http://127.0.0.1:${port}`, logger, []);
    try {
      const errors = logger.lines.filter((line) => line.level === 'error').map((line) => line.message);
      expect(errors).toEqual([
        `Could not find the introspection endpoint: GET http://127.0.0.1:${port}/.well-known/openid-configuration failed: ` +
          `connect ECONNREFUSED 127.0.0.1:${port}`,
      ]);
      const response = await t.http.get('/notes').set('Authorization', 'Bearer opaque-token');
      expect(response.status).toBe(503); // still down: an outage, retryable
      expect(response.headers['retry-after']).toBeDefined();
      expect(logger.lines.map((line) => line.message).join('\n')).not.toContain('opaque-token');
    } finally {
      await t.close();
    }
  });
});
