import { Controller, Get, Injectable, Scope, UnauthorizedException } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// The guard tries alternatives synchronously while every validator answers synchronously, and carries on
// after a promise when one does not: the same decisions either way, in the same order.

const syncKey = new APIKeyHeader({ name: 'X-Sync', schemeName: 'sync' });
const asyncKey = new APIKeyHeader({ name: 'X-Async', schemeName: 'async' });
const scopedKey = new APIKeyHeader({ name: 'X-Scoped', schemeName: 'scoped' });

/** `good-<name>` is the user <name>; anything else is refused. */
const userOf = (key: string) => (key.startsWith('good-') ? { name: key.slice(5) } : null);

@Injectable()
class SyncValidator implements SecurityValidator<string> {
  validate(key: string) {
    return userOf(key);
  }
}

/** Answers later; `throw-` keys reject with an HttpException, which stays the answer if no alternative passes. */
@Injectable()
class AsyncValidator implements SecurityValidator<string> {
  async validate(key: string) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (key.startsWith('throw-')) throw new UnauthorizedException('Key revoked');
    return userOf(key);
  }
}

/** A new instance per request, so the guard resolves it asynchronously. */
@Injectable({ scope: Scope.REQUEST })
class RequestScopedValidator implements SecurityValidator<string> {
  validate(key: string) {
    return userOf(key);
  }
}

@Controller()
class RoutesController {
  @Security(asyncKey)
  @Security(syncKey)
  @Get('async-or-sync')
  asyncOrSync(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(syncKey)
  @Security(asyncKey)
  @Get('sync-or-async')
  syncOrAsync(@CurrentUser() user: unknown) {
    return { user };
  }

  @SecurityAll({ scheme: asyncKey }, { scheme: syncKey })
  @Security(scopedKey)
  @Get('async-and-sync-or-scoped')
  asyncAndSyncOrScoped(@CurrentUser() user: unknown) {
    return { user };
  }
}

const KEY_CHALLENGE = 'APIKey';

describe.each(PLATFORMS)('alternatives with synchronous and asynchronous validators (%s)', (platform) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: syncKey, validator: SyncValidator },
            { scheme: asyncKey, validator: AsyncValidator },
            { scheme: scopedKey, validator: RequestScopedValidator },
          ],
        }),
      ],
      providers: [SyncValidator, AsyncValidator, RequestScopedValidator],
      controllers: [RoutesController],
    });
  });
  afterAll(() => t.close());

  const get = (path: string, headers: Record<string, string>) => t.http.get(path).set(headers).then(outcome);

  it('lets the first alternative that passes win, whichever answers later', async () => {
    expect(await get('/async-or-sync', { 'X-Async': 'good-a', 'X-Sync': 'good-s' })).toEqual(ok({ user: { name: 'a' } }));
    expect(await get('/sync-or-async', { 'X-Async': 'good-a', 'X-Sync': 'good-s' })).toEqual(ok({ user: { name: 's' } }));
  });

  it('tries the next alternative after an asynchronous refusal, and after a synchronous one', async () => {
    expect(await get('/async-or-sync', { 'X-Async': 'bad', 'X-Sync': 'good-s' })).toEqual(ok({ user: { name: 's' } }));
    expect(await get('/async-or-sync', { 'X-Async': 'throw-1', 'X-Sync': 'good-s' })).toEqual(ok({ user: { name: 's' } }));
    expect(await get('/sync-or-async', { 'X-Sync': 'bad', 'X-Async': 'good-a' })).toEqual(ok({ user: { name: 'a' } }));
  });

  it('answers the first refusal when every alternative is refused', async () => {
    const thrown = await get('/async-or-sync', { 'X-Async': 'throw-1', 'X-Sync': 'bad' });
    expect(thrown.status).toBe(401);
    expect(thrown.body).toEqual({ statusCode: 401, message: 'Key revoked', error: 'Unauthorized' });
    expect(await get('/sync-or-async', { 'X-Sync': 'bad', 'X-Async': 'throw-1' })).toEqual(unauthorized(KEY_CHALLENGE));
  });

  it('checks every scheme of an AND alternative, carrying on after the asynchronous one', async () => {
    const both = { 'X-Async': 'good-a', 'X-Sync': 'good-s' };
    expect(await get('/async-and-sync-or-scoped', both)).toEqual(ok({ user: { name: 'a' } }));
    expect(await get('/async-and-sync-or-scoped', { ...both, 'X-Sync': 'bad' })).toEqual(unauthorized(KEY_CHALLENGE));
    expect(await get('/async-and-sync-or-scoped', { ...both, 'X-Sync': 'bad', 'X-Scoped': 'good-r' })).toEqual(ok({ user: { name: 'r' } }));
    expect(await get('/async-and-sync-or-scoped', { 'X-Scoped': 'good-r' })).toEqual(ok({ user: { name: 'r' } }));
    expect(await get('/async-and-sync-or-scoped', { 'X-Sync': 'good-s' })).toEqual(unauthorized(KEY_CHALLENGE));
  });
});
