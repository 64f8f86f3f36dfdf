import { Controller, Get } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPBearer, IntrospectionValidator, Security, SecuritySchemesModule, type RefusalReason } from 'nestjs-security-schemes';
import { TestProvider } from '../oidc/provider';
import { CaptureLogger } from '../utils/capture-logger';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const RETRY_AFTER = 4;
const UNAVAILABLE = {
  status: 503,
  body: { statusCode: 503, message: 'The identity provider is unreachable', error: 'Service Unavailable' },
  retryAfter: String(RETRY_AFTER),
  reasons: ['introspection_unavailable'],
};

/** A local endpoint that misbehaves as told: never answers, answers 500, or answers HTML. */
async function misbehavingEndpoint(): Promise<{ server: Server; url: (path: string) => string }> {
  const server = createServer((request, response) => {
    if (request.url === '/hang') return; // keeps the connection open, never answers
    if (request.url === '/error') {
      response.statusCode = 500;
      return response.end('{"error":"server_error"}');
    }
    response.setHeader('content-type', 'text/html');
    response.end('<html>maintenance</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: (path) => `http://127.0.0.1:${port}${path}` };
}

describe.each(PLATFORMS)('IntrospectionValidator when the endpoint cannot answer: 503 with Retry-After, never 500 (%s)', (platform) => {
  let provider: TestProvider;
  let endpoint: Awaited<ReturnType<typeof misbehavingEndpoint>>;
  let t: TestApp;
  const reasons: RefusalReason[] = [];
  const logger = new CaptureLogger();
  let token: string;

  beforeAll(async () => {
    [provider, endpoint] = await Promise.all([TestProvider.start([], { accessTokens: 'opaque' }), misbehavingEndpoint()]);
    token = await provider.clientCredentialsToken();
    const common = { issuer: provider.issuer, clientId: 'api', clientSecret: 'api-secret', timeoutMs: 300, retryAfterSeconds: RETRY_AFTER };
    const routes = {
      'wrong-secret': new IntrospectionValidator({ ...common, clientSecret: 'not-the-secret' }),
      hang: new IntrospectionValidator({ ...common, endpoint: endpoint.url('/hang') }),
      error: new IntrospectionValidator({ ...common, endpoint: endpoint.url('/error') }),
      html: new IntrospectionValidator({ ...common, endpoint: endpoint.url('/html') }),
      'no-discovery': new IntrospectionValidator({ ...common, openIdConnectUrl: endpoint.url('/error') }),
    };
    const schemes = Object.fromEntries(Object.keys(routes).map((name) => [name, new HTTPBearer({ schemeName: name })]));

    @Controller()
    class FailuresController {
      @Security(schemes['wrong-secret'])
      @Get('wrong-secret')
      wrongSecret() {
        return {};
      }

      @Security(schemes.hang)
      @Get('hang')
      hang() {
        return {};
      }

      @Security(schemes.error)
      @Get('error')
      error() {
        return {};
      }

      @Security(schemes.html)
      @Get('html')
      html() {
        return {};
      }

      @Security(schemes['no-discovery'])
      @Get('no-discovery')
      noDiscovery() {
        return {};
      }
    }

    t = await createTestApp(
      platform,
      {
        imports: [
          SecuritySchemesModule.forRoot({
            schemes: Object.entries(routes).map(([name, validator]) => ({ scheme: schemes[name], validator })),
            onRefusal: (refusal) => reasons.push(refusal.reason),
          }),
        ],
        controllers: [FailuresController],
      },
      (app) => app.useLogger(logger),
    );
  });
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
    endpoint?.server.closeAllConnections();
    endpoint?.server.close();
  });

  it.each(['wrong-secret', 'hang', 'error', 'html', 'no-discovery'])('%s: 503 with Retry-After, the failure logged without the token', async (path) => {
    reasons.length = 0;
    logger.clear();
    const started = Date.now();
    const answer = await t.http.get(`/${path}`).set('Authorization', `Bearer ${token}`);
    expect({ status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'], reasons }).toEqual(UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(2000); // the 300 ms timeout, not the socket's
    const logged = logger.lines.map((line) => line.message);
    expect(logged.some((message) => /introspection endpoint|could not find the introspection endpoint/i.test(message))).toBe(true);
    expect(logged.filter((message) => message.includes(token))).toEqual([]);
  });
});
