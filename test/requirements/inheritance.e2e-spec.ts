import { Controller, Get } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  SkipSecurity,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();

/** Not a controller itself: its requirement and routes reach every subclass. */
@Security(apiKey)
abstract class BaseController {
  @Get('base')
  base(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }

  @Security(httpBearer, ['read'])
  @Get('scoped')
  scoped(@CurrentUser('sub') sub: unknown, @CurrentScopes(httpBearer) scopes: SecurityScopes) {
    return { sub, scopes: scopes.scopes };
  }
}

@Controller('child')
class ChildController extends BaseController {
  @Get('own')
  own(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

@Security(httpBearer, ['write'])
@Controller('grandchild')
class GrandChildController extends ChildController {}

@SkipSecurity()
@Controller('open-child')
class OpenChildController extends BaseController {}

@Controller('override')
class OverrideController extends BaseController {
  @Get('scoped')
  override scoped(@CurrentUser('sub') sub: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { sub, scopes: scopes.scopes, overridden: true };
  }
}

const KEY = { 'X-API-Key': token('svc') };

describe.each(PLATFORMS)('subclassed controllers (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: apiKey, validator: TokenValidator },
            { scheme: httpBearer, validator: TokenValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [ChildController, GrandChildController, OpenChildController, OverrideController],
    });
  });
  afterAll(() => t.close());

  it("applies the base class's @Security to inherited and own methods", async () => {
    expect(await get('/child/base')).toEqual(unauthorized('APIKey'));
    expect(await get('/child/own')).toEqual(unauthorized('APIKey'));
    expect(await get('/child/base', KEY)).toEqual(ok({ sub: 'svc' }));
    expect(await get('/child/own', KEY)).toEqual(ok({ sub: 'svc' }));
  });

  it("requires an inherited method's own requirement as well as the base class's (AND)", async () => {
    expect(await get('/child/scoped')).toEqual(unauthorized('APIKey'));
    expect(await get('/child/scoped', bearer('ann', ['read']))).toEqual(unauthorized('APIKey'));
    expect(await get('/child/scoped', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/child/scoped', { ...KEY, ...bearer('ann', ['read']) })).toEqual(ok({ sub: 'svc', scopes: ['read'] }));
    expect(await get('/child/scoped', { ...KEY, ...bearer('ann') })).toEqual(forbidden('read'));
  });

  it('requires every class of the chain, outermost first, then the handler', async () => {
    expect(await get('/grandchild/base', KEY)).toEqual(unauthorized('Bearer'));
    expect(await get('/grandchild/base', bearer('ann', ['write']))).toEqual(unauthorized('APIKey'));
    expect(await get('/grandchild/base', { ...KEY, ...bearer('ann', ['write']) })).toEqual(ok({ sub: 'svc' }));
    expect(await get('/grandchild/scoped', { ...KEY, ...bearer('ann', ['read']) })).toEqual(forbidden('write read'));
    expect(await get('/grandchild/scoped', { ...KEY, ...bearer('ann', ['read', 'write']) })).toEqual(
      ok({ sub: 'svc', scopes: ['write', 'read'] }),
    );
  });

  it("lets a subclass drop the base class's requirement with @SkipSecurity()", async () => {
    expect(await get('/open-child/base')).toEqual(ok({ sub: null }));
    expect(await get('/open-child/scoped')).toEqual(unauthorized('Bearer'));
    expect(await get('/open-child/scoped', KEY)).toEqual(unauthorized('Bearer'));
  });

  it("uses an overriding method's decorators, not the base method's", async () => {
    expect(await get('/override/scoped', KEY)).toEqual(ok({ sub: 'svc', scopes: [], overridden: true }));
    expect(await get('/override/scoped', bearer('ann', ['read']))).toEqual(unauthorized('APIKey'));
  });

  it('documents each subclass with its own merged requirement', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /child/base': [{ APIKeyHeader: [] }],
      'GET /child/scoped': [{ APIKeyHeader: [], HTTPBearer: ['read'] }],
      'GET /child/own': [{ APIKeyHeader: [] }],
      'GET /grandchild/base': [{ APIKeyHeader: [], HTTPBearer: ['write'] }],
      'GET /grandchild/scoped': [{ APIKeyHeader: [], HTTPBearer: ['write', 'read'] }],
      'GET /grandchild/own': [{ APIKeyHeader: [], HTTPBearer: ['write'] }],
      'GET /open-child/base': [],
      'GET /open-child/scoped': [{ HTTPBearer: ['read'] }],
      'GET /override/base': [{ APIKeyHeader: [] }],
      'GET /override/scoped': [{ APIKeyHeader: [] }],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        APIKeyHeader: { headers: KEY },
        HTTPBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
      },
    });
  });
});
