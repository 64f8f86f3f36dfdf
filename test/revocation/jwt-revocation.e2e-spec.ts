import { Controller, Get, Injectable } from '@nestjs/common';
import {
  assertNotRevoked,
  CurrentUser,
  HTTPBearer,
  InMemoryRevocationStore,
  JwtValidator,
  RevocationStore,
  Security,
  SecuritySchemesModule,
  type JwtClaims,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { ok, outcome } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { now } from '../jwt/craft';
import { AccountController, bearer, jtiOf, jwt, REVOKED, SECRET, sign } from './revocation-app';

const custom = new HTTPBearer({ schemeName: 'custom' });

/** A validator of the application's own: opaque tokens `sub.jti`, checked against the injected store with one call. */
@Injectable()
class OpaqueTokenValidator implements SecurityValidator<{ credentials: string }, JwtClaims> {
  constructor(private readonly revocations: RevocationStore) {}
  validate({ credentials }: { credentials: string }): JwtClaims {
    const [sub, jti] = credentials.split('.');
    const claims = { sub, jti };
    assertNotRevoked(this.revocations, claims);
    return claims;
  }
}

@Controller()
class CustomController {
  @Security(custom)
  @Get('custom')
  custom(@CurrentUser() user: JwtClaims) {
    return { sub: user.sub };
  }
}

describe.each(PLATFORMS)('JwtValidator with the module revocation store (%s)', (platform) => {
  let t: TestApp;
  let store: RevocationStore;
  const get = (path: string, token: string) => t.http.get(path).set('Authorization', `Bearer ${token}`).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: bearer, validator: jwt() }, { scheme: custom, validator: OpaqueTokenValidator }] })],
      controllers: [AccountController, CustomController],
      providers: [OpaqueTokenValidator],
    });
    store = t.app.get(RevocationStore);
  });
  afterAll(() => t.close());

  it('provides an in-memory store by default, injectable as RevocationStore', () => {
    expect(store).toBeInstanceOf(InMemoryRevocationStore);
  });

  it('refuses a revoked token although the verified-token cache holds it', async () => {
    const token = sign();
    expect(await get('/me', token)).toEqual(ok({ sub: 'alice' }));
    expect(await get('/me', token)).toEqual(ok({ sub: 'alice' })); // a cache hit
    const other = sign();
    expect((await t.http.post('/logout').set('Authorization', `Bearer ${token}`)).status).toBe(201);
    expect(await get('/me', token)).toEqual(REVOKED);
    expect(await get('/me', other)).toEqual(ok({ sub: 'alice' }));
  });

  it('refuses a token revoked before it was ever seen', async () => {
    await store.revokeToken('never-seen', now() + 60);
    expect(await get('/me', sign({ jti: 'never-seen' }))).toEqual(REVOKED);
  });

  it('refuses every token of a revoked session', async () => {
    const [a, b, c] = [sign({ sid: 'family-a' }), sign({ sid: 'family-a' }), sign({ sid: 'family-b' })];
    expect(await get('/me', a)).toEqual(ok({ sub: 'alice' }));
    await store.revokeSession('family-a', now() + 60);
    expect(await get('/me', a)).toEqual(REVOKED);
    expect(await get('/me', b)).toEqual(REVOKED);
    expect(await get('/me', c)).toEqual(ok({ sub: 'alice' }));
  });

  it('logs a subject out everywhere; a token issued after the cut-off works', async () => {
    const before = sign({ sub: 'bob', iat: now() - 1 });
    const sameSecond = sign({ sub: 'bob', iat: now() });
    expect(await get('/me', before)).toEqual(ok({ sub: 'bob' }));
    const cutoff = Date.now() / 1000;
    await store.revokeSubject('bob', cutoff, now() + 60);
    expect(await get('/me', before)).toEqual(REVOKED);
    expect(await get('/me', sameSecond)).toEqual(REVOKED);
    expect(await get('/me', sign({ sub: 'bob', iat: Date.now() / 1000 + 0.001 }))).toEqual(ok({ sub: 'bob' }));
    expect(await get('/me', sign({ sub: 'bob', iat: Math.floor(cutoff) + 1 }))).toEqual(ok({ sub: 'bob' }));
    expect(await get('/me', sign({ sub: 'carol', iat: now() - 1 }))).toEqual(ok({ sub: 'carol' }));
  });

  it('lets a validator of the application consult the store with one call', async () => {
    expect(await get('/custom', 'dave.j-1')).toEqual(ok({ sub: 'dave' }));
    await store.revokeToken('j-1', now() + 60);
    expect(await get('/custom', 'dave.j-1')).toEqual(REVOKED);
  });

  it('consumes a one-time id once', async () => {
    expect((await t.http.post('/once/r-1')).body).toEqual({ first: true });
    expect((await t.http.post('/once/r-1')).body).toEqual({ first: false });
  });
});

describe.each(PLATFORMS)('revocation options (%s)', (platform) => {
  const start = (revocation: RevocationStore | undefined, validator: JwtValidator) =>
    createTestApp(platform, {
      imports: [SecuritySchemesModule.forRootAsync({ useFactory: () => ({ schemes: [{ scheme: bearer, validator }], revocation }) })],
      controllers: [AccountController],
    });

  it('uses the store given to forRootAsync, and closes it on shutdown', async () => {
    const closed: string[] = [];
    class RecordingStore extends InMemoryRevocationStore {
      override onApplicationShutdown(): void {
        closed.push('closed');
        super.onApplicationShutdown();
      }
    }
    const given = new RecordingStore();
    const t = await start(given, jwt());
    try {
      expect(t.app.get(RevocationStore)).toBe(given);
      const token = sign();
      await given.revokeToken(jtiOf(token), now() + 60);
      expect(outcome(await t.http.get('/me').set('Authorization', `Bearer ${token}`))).toEqual(REVOKED);
    } finally {
      await t.close();
    }
    expect(closed).toEqual(['closed']);
  });

  it("keeps a validator's own store, or none with revocation: false", async () => {
    const own = new InMemoryRevocationStore();
    const moduleStore = new InMemoryRevocationStore();
    for (const [validator, refusedBy] of [
      [jwt(own), own],
      [jwt(false), undefined],
    ] as const) {
      const t = await start(moduleStore, validator);
      try {
        const token = sign();
        await moduleStore.revokeToken(jtiOf(token), now() + 60);
        expect((await t.http.get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
        await refusedBy?.revokeToken(jtiOf(token), now() + 60);
        expect((await t.http.get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(refusedBy ? 401 : 200);
      } finally {
        await t.close();
      }
    }
  });

  it('refuses a revocation option that is not a store, at start-up', async () => {
    await expect(start({} as RevocationStore, jwt())).rejects.toThrow('revocation must be a RevocationStore');
    expect(() => new JwtValidator({ key: SECRET, algorithms: ['HS256'], revocation: {} as RevocationStore })).toThrow(
      'revocation must be a RevocationStore',
    );
  });
});

