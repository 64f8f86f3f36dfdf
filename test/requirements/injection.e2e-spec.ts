import { Controller, Get, Inject, Injectable, Req, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import {
  APIKeyHeader,
  CurrentUser,
  getSecurityContext,
  HTTPBearer,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const httpBearer = new HTTPBearer();
const tenantKey = new APIKeyHeader({ name: 'X-Tenant-Key', schemeName: 'TenantKey' });

/** An ordinary singleton service a validator depends on. */
@Injectable()
class UsersService {
  private readonly byKey = new Map([['key-1', { id: 1, name: 'Ada' }]]);
  findByKey(key: string) {
    return this.byKey.get(key) ?? null;
  }
}

@Injectable()
class ApiKeyValidator implements SecurityValidator<string> {
  constructor(private readonly users: UsersService) {}
  validate(key: string) {
    return this.users.findByKey(key);
  }
}

let contexts = 0;
/** One instance per request: shows which request-scoped providers share a request. */
@Injectable({ scope: Scope.REQUEST })
class RequestContext {
  readonly id = ++contexts;
}

/** Request-scoped: gets the request it validates and the request's RequestContext. */
@Injectable({ scope: Scope.REQUEST })
class TenantValidator implements SecurityValidator<HTTPAuthorizationCredentials> {
  constructor(
    @Inject(REQUEST) private readonly request: { headers: Record<string, string | undefined> },
    private readonly context: RequestContext,
    private readonly users: UsersService,
  ) {}

  validate({ credentials }: HTTPAuthorizationCredentials) {
    const tenant = this.request.headers['x-tenant'];
    if (!tenant) return null;
    return { token: credentials, tenant, context: this.context.id, known: this.users.findByKey('key-1')?.name };
  }
}

/** A second request-scoped validator, to show two validators of one request share its providers. */
@Injectable({ scope: Scope.REQUEST })
class TenantKeyValidator implements SecurityValidator<string> {
  constructor(private readonly context: RequestContext) {}
  validate(key: string) {
    return { key, context: this.context.id };
  }
}

@Controller({ path: 'injection', scope: Scope.REQUEST })
class InjectionController {
  constructor(private readonly context: RequestContext) {}

  @Security(apiKey)
  @Get('key')
  key(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(httpBearer)
  @Get('tenant')
  tenant(@CurrentUser() user: unknown) {
    return { user, handlerContext: this.context.id };
  }
}

@Controller('singleton')
class SingletonController {
  @SecurityAll({ scheme: apiKey }, { scheme: httpBearer })
  @Get('both')
  both(@CurrentUser() user: unknown) {
    return { user };
  }

  @SecurityAll({ scheme: tenantKey }, { scheme: httpBearer })
  @Get('two-request-scoped')
  twoRequestScoped(@Req() request: object) {
    return { principals: getSecurityContext(request)?.map(({ principal }) => principal) };
  }
}

describe.each(PLATFORMS)('validators as Nest providers (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: apiKey, validator: ApiKeyValidator },
            { scheme: httpBearer, validator: TenantValidator },
            { scheme: tenantKey, validator: TenantKeyValidator },
          ],
        }),
      ],
      providers: [UsersService, ApiKeyValidator, TenantValidator, TenantKeyValidator, RequestContext],
      controllers: [InjectionController, SingletonController],
    });
  });
  afterAll(() => t.close());

  it('runs a validator that injects another service', async () => {
    expect(await get('/injection/key', { 'X-API-Key': 'key-1' })).toEqual(ok({ user: { id: 1, name: 'Ada' } }));
    expect(await get('/injection/key', { 'X-API-Key': 'key-2' })).toEqual(unauthorized('APIKey'));
  });

  it('gives a request-scoped validator the request it validates', async () => {
    const first = await get('/injection/tenant', { Authorization: 'Bearer t1', 'X-Tenant': 'acme' });
    const second = await get('/injection/tenant', { Authorization: 'Bearer t2', 'X-Tenant': 'globex' });
    expect(first).toEqual(
      ok({ user: { token: 't1', tenant: 'acme', context: expect.any(Number), known: 'Ada' }, handlerContext: expect.any(Number) }),
    );
    expect(second).toEqual(
      ok({ user: { token: 't2', tenant: 'globex', context: expect.any(Number), known: 'Ada' }, handlerContext: expect.any(Number) }),
    );
    const firstBody = first.body as { user: { context: number } };
    const secondBody = second.body as { user: { context: number } };
    expect(secondBody.user.context).not.toBe(firstBody.user.context);
    expect(await get('/injection/tenant', { Authorization: 'Bearer t3' })).toEqual(unauthorized('Bearer'));
  });

  it("shares the request's request-scoped providers with the controller", async () => {
    const { body } = await get('/injection/tenant', { Authorization: 'Bearer t1', 'X-Tenant': 'acme' });
    const { user, handlerContext } = body as { user: { context: number }; handlerContext: number };
    expect(user.context).toBe(handlerContext);
  });

  it('mixes singleton and request-scoped validators in one AND', async () => {
    expect(await get('/singleton/both', { 'X-API-Key': 'key-1', Authorization: 'Bearer t9', 'X-Tenant': 'acme' })).toEqual(
      ok({ user: { id: 1, name: 'Ada' } }),
    );
    expect(await get('/singleton/both', { 'X-API-Key': 'key-1', Authorization: 'Bearer t9' })).toEqual(
      unauthorized('Bearer'),
    );
  });

  it('gives two request-scoped validators of one request the same request-scoped providers', async () => {
    const response = await get('/singleton/two-request-scoped', {
      'X-Tenant-Key': 'tk',
      Authorization: 'Bearer t1',
      'X-Tenant': 'acme',
    });
    expect(response.status).toBe(200);
    const [keyPrincipal, tokenPrincipal] = (response.body as { principals: { context: number }[] }).principals;
    expect(keyPrincipal).toEqual({ key: 'tk', context: expect.any(Number) });
    expect(tokenPrincipal.context).toBe(keyPrincipal.context);
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        APIKeyHeader: { headers: { 'X-API-Key': 'key-1' } },
        HTTPBearer: { headers: { Authorization: 'Bearer t1', 'X-Tenant': 'acme' } },
        TenantKey: { headers: { 'X-Tenant-Key': 'tk' } },
      },
    });
  });
});
