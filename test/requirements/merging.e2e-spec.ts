import { Controller, Get } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentScopes,
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  scopes: { me: 'Your profile', 'items:read': 'Read items', 'items:write': 'Write items' },
});
const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

/** What every handler returns: the principal and the scopes the route requires. */
const show = (user: unknown, scopes: SecurityScopes) => ({ user, scopes: scopes.scopes, scopeStr: scopes.scopeStr });

@Security(oauth2, ['items:read', 'me'])
@Controller('items')
class ItemsController {
  @Security(oauth2, ['items:write', 'items:read'])
  @Get('write')
  write(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return show(user, scopes);
  }

  @Get('read')
  read(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return show(user, scopes);
  }

  @Security(apiKey)
  @Get('both')
  both(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return show(user, scopes);
  }
}

@Controller('profile')
class ProfileController {
  @Get()
  profile(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return show(user, scopes);
  }
}

const ALL = ['me', 'items:read', 'items:write'];

describe.each(PLATFORMS)('requirements merged module -> controller -> handler (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: oauth2, validator: TokenValidator },
            { scheme: apiKey, validator: TokenValidator },
          ],
          defaultSecurity: [{ scheme: oauth2, scopes: ['me'] }],
        }),
      ],
      providers: [TokenValidator],
      controllers: [ItemsController, ProfileController],
    });
  });
  afterAll(() => t.close());

  it('unions the scopes of the same scheme over three levels, in order, without duplicates', async () => {
    expect(await get('/items/write', bearer('ann', ALL))).toEqual(
      ok({
        user: { sub: 'ann', scopes: ALL, required: ALL },
        scopes: ALL,
        scopeStr: 'me items:read items:write',
      }),
    );
  });

  it('refuses a token that lacks a scope from any level', async () => {
    expect(await get('/items/write', bearer('ann', ['items:read', 'items:write']))).toEqual(
      forbidden('me items:read items:write'),
    );
    expect(await get('/items/write', bearer('ann', ['me', 'items:read']))).toEqual(forbidden('me items:read items:write'));
  });

  it('gives a handler without its own @Security the module and controller scopes', async () => {
    const scopes = ['me', 'items:read'];
    expect(await get('/items/read', bearer('ann', scopes))).toEqual(
      ok({ user: { sub: 'ann', scopes, required: scopes }, scopes, scopeStr: 'me items:read' }),
    );
    expect(await get('/items/read', bearer('ann', ['me']))).toEqual(forbidden('me items:read'));
  });

  it('gives a controller without @Security the module default', async () => {
    expect(await get('/profile', bearer('ann', ['me']))).toEqual(
      ok({ user: { sub: 'ann', scopes: ['me'], required: ['me'] }, scopes: ['me'], scopeStr: 'me' }),
    );
    expect(await get('/profile', bearer('ann'))).toEqual(forbidden('me'));
    expect(await get('/profile')).toEqual(unauthorized('Bearer'));
  });

  it('adds another scheme as a further requirement (AND), never as a second way in', async () => {
    expect(await get('/items/both', { 'X-API-Key': token('svc') })).toEqual(unauthorized('Bearer'));
    expect(await get('/items/both', bearer('ann', ['me', 'items:read']))).toEqual(unauthorized('APIKey'));
    expect(await get('/items/both', { 'X-API-Key': token('svc'), ...bearer('ann', ['me', 'items:read']) })).toEqual(
      ok({
        user: { sub: 'ann', scopes: ['me', 'items:read'], required: ['me', 'items:read'] },
        scopes: ['me', 'items:read'],
        scopeStr: 'me items:read',
      }),
    );
    expect(await get('/items/both', { 'X-API-Key': token('svc'), ...bearer('ann', ['me']) })).toEqual(
      forbidden('me items:read'),
    );
    expect(await get('/items/both')).toEqual(unauthorized('Bearer'));
  });

  it('documents the merged requirement of each operation', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /items/write': [{ OAuth2PasswordBearer: ALL }],
      'GET /items/read': [{ OAuth2PasswordBearer: ['me', 'items:read'] }],
      'GET /items/both': [{ OAuth2PasswordBearer: ['me', 'items:read'], APIKeyHeader: [] }],
      'GET /profile': [{ OAuth2PasswordBearer: ['me'] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        OAuth2PasswordBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        APIKeyHeader: { headers: { 'X-API-Key': token('svc') } },
      },
    });
  });
});
