import { Controller, Get, Req, Res } from '@nestjs/common';
import { APIKeyHeader, CurrentUser, getSecurityContext, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-Key' });
// The handler reads the raw key: the principal is the key itself, so each response shows where it went.
const schemes = [{ scheme: apiKey, validatedBy: 'handler' as const }];

@Controller()
class WhoController {
  @Security(apiKey)
  @Get('who')
  who(@CurrentUser() principal: unknown, @Req() request: Record<string, unknown>) {
    return {
      principal,
      user: request.user ?? null,
      caller: request.caller ?? null,
      context: getSecurityContext(request)?.map(({ credentials }) => credentials),
    };
  }

  @Security(apiKey)
  @Get('where')
  where(@Req() request: object, @Res({ passthrough: true }) response: { locals?: object }) {
    const ours = (target: object | undefined) =>
      target ? Object.getOwnPropertySymbols(target).map(String).filter((name) => name.includes('security-schemes')) : [];
    return { onRequest: ours(request), inLocals: ours(response.locals), inCopyOfLocals: ours({ ...response.locals }) };
  }
}

describe.each(PLATFORMS)('userProperty: where the principal is put on the request (%s)', (platform) => {
  const start = (userProperty?: string | false) =>
    createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes, userProperty })],
      controllers: [WhoController],
    });
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it("sets request.user by default, as passport does", async () => {
    t = await start();
    const res = await t.http.get('/who').set('X-Key', 'k1');
    expect(res.body).toEqual({ principal: 'k1', user: 'k1', caller: null, context: ['k1'] });
  });

  it('uses another property when asked', async () => {
    t = await start('caller');
    const res = await t.http.get('/who').set('X-Key', 'k2');
    expect(res.body).toEqual({ principal: 'k2', user: null, caller: 'k2', context: ['k2'] });
  });

  it("keeps the context in Express's res.locals, not enumerable (a property added to an Express request costs microseconds), on a Fastify request", async () => {
    t = await start();
    const res = await t.http.get('/where').set('X-Key', 'k4');
    const symbol = 'Symbol(security-schemes:context)';
    expect(res.body).toEqual(
      platform === 'express'
        ? { onRequest: [], inLocals: [symbol], inCopyOfLocals: [] }
        : { onRequest: [symbol], inLocals: [], inCopyOfLocals: [] },
    );
  });

  it('keeps the context on the request when the response has no res.locals (a middleware removed it)', async () => {
    t = await createTestApp(
      platform,
      { imports: [SecuritySchemesModule.forRoot({ schemes })], controllers: [WhoController] },
      (app) => {
        app.use((_request: unknown, response: { locals?: object }, next: () => void) => {
          delete response.locals;
          next();
        });
      },
    );
    const who = await t.http.get('/who').set('X-Key', 'k5');
    expect(who.body).toEqual({ principal: 'k5', user: 'k5', caller: null, context: ['k5'] });
    const where = await t.http.get('/where').set('X-Key', 'k5');
    expect(where.body).toEqual({ onRequest: ['Symbol(security-schemes:context)'], inLocals: [], inCopyOfLocals: [] });
  });

  it('sets none with false; @CurrentUser and getSecurityContext still work', async () => {
    t = await start(false);
    const res = await t.http.get('/who').set('X-Key', 'k3');
    expect(res.body).toEqual({ principal: 'k3', user: null, caller: null, context: ['k3'] });
  });
});
