import { Controller, ForbiddenException, Get, type HttpException } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  HTTPBearer,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type ResponseHeaders,
  type SecurityRequest,
} from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

/** Overrides the challenge header: `Bearer realm="api"`. */
class RealmBearer extends HTTPBearer {
  override makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'Bearer realm="api"' };
  }
}

/** Overrides the whole error: FastAPI's pre-0.122 403, without a challenge. */
class LegacyKey extends APIKeyHeader {
  override makeNotAuthenticatedError(): HttpException {
    return new ForbiddenException('Not authenticated');
  }
}

/** Overrides extraction: the token may also come as `?access_token=` (RFC 6750 section 2.3). */
class HeaderOrQueryToken extends OAuth2PasswordBearer {
  override extract(request: SecurityRequest): string | null {
    const fromHeader = super.extract(request);
    if (fromHeader !== null) return fromHeader;
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    return typeof token === 'string' && token !== '' ? token : null;
  }
}

/** Overrides extraction to refuse a malformed key: a 401 even though missing keys are allowed. */
class HexKey extends APIKeyHeader {
  override extract(request: SecurityRequest): string | null {
    const key = super.extract(request);
    if (key !== null && !/^[0-9a-f]+$/.test(key)) throw this.makeNotAuthenticatedError();
    return key;
  }
}

const realmBearer = new RealmBearer();
const legacyKey = new LegacyKey({ name: 'X-Legacy-Key' });
const headerOrQuery = new HeaderOrQueryToken({ tokenUrl: 'token' });
const hexKey = new HexKey({ name: 'X-Hex-Key', autoError: false });

@Controller()
class SubclassController {
  @Security(realmBearer)
  @Get('realm')
  realm(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(legacyKey)
  @Get('legacy')
  legacy(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(headerOrQuery)
  @Get('token')
  token(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(hexKey)
  @Get('hex')
  hex(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(realmBearer)
  @Security(hexKey)
  @Security(headerOrQuery)
  @Get('any')
  any(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(realmBearer)
  @Security(headerOrQuery)
  @Get('any-required')
  anyRequired(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('subclassed schemes (%s)', (platform) => {
  let t: TestApp;
  const get = (url: string, headers: Record<string, string> = {}) => t.http.get(url).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          // The handlers echo what each subclass extracted.
          schemes: [realmBearer, legacyKey, headerOrQuery, hexKey].map((scheme) => ({ scheme, validatedBy: 'handler' as const })),
        }),
      ],
      controllers: [SubclassController],
    });
  });
  afterAll(() => t.close());

  it('sends an overridden challenge header', async () => {
    expect(await get('/realm')).toEqual(unauthorized('Bearer realm="api"'));
    expect(await get('/realm', { Authorization: 'Bearer' })).toEqual(unauthorized('Bearer realm="api"'));
    expect(await get('/realm', { Authorization: 'Bearer t' })).toEqual(ok({ user: { scheme: 'Bearer', credentials: 't' } }));
  });

  it('sends an overridden error', async () => {
    expect(await get('/legacy')).toEqual({
      status: 403,
      body: { statusCode: 403, message: 'Not authenticated', error: 'Forbidden' },
      challenge: undefined,
    });
    expect(await get('/legacy', { 'X-Legacy-Key': 'k' })).toEqual(ok({ user: 'k' }));
  });

  it('uses an overridden extraction', async () => {
    expect(await get('/token', { Authorization: 'Bearer from-header' })).toEqual(ok({ user: 'from-header' }));
    expect(await get('/token?access_token=from-query')).toEqual(ok({ user: 'from-query' }));
    expect(await get('/token?access_token=')).toEqual(unauthorized('Bearer'));
  });

  it('answers 401 when an overridden extraction throws, even with autoError: false', async () => {
    expect(await get('/hex')).toEqual(ok({ user: null }));
    expect(await get('/hex', { 'X-Hex-Key': 'c0ffee' })).toEqual(ok({ user: 'c0ffee' }));
    expect(await get('/hex', { 'X-Hex-Key': 'not-hex' })).toEqual(unauthorized('APIKey'));
  });

  it('combines overridden challenges when no alternative has credentials', async () => {
    expect(await get('/any-required')).toEqual(unauthorized('Bearer realm="api", Bearer'));
    expect(await get('/any-required?access_token=q')).toEqual(ok({ user: 'q' }));
  });

  it('lets anonymous requests through an autoError: false alternative, but not malformed credentials', async () => {
    expect(await get('/any')).toEqual(ok({ user: null }));
    expect(await get('/any?access_token=q')).toEqual(ok({ user: 'q' }));
    expect(await get('/any', { 'X-Hex-Key': 'not-hex' })).toEqual(unauthorized('APIKey'));
  });

  it('names each scheme after its subclass by default', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      RealmBearer: { type: 'http', scheme: 'bearer' },
      LegacyKey: { type: 'apiKey', in: 'header', name: 'X-Legacy-Key' },
      HeaderOrQueryToken: { type: 'oauth2', flows: { password: { tokenUrl: 'token', scopes: {} } } },
      HexKey: { type: 'apiKey', in: 'header', name: 'X-Hex-Key' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /realm': [{ RealmBearer: [] }],
      'GET /legacy': [{ LegacyKey: [] }],
      'GET /token': [{ HeaderOrQueryToken: [] }],
      'GET /hex': [{ HexKey: [] }, {}],
      'GET /any': [{ RealmBearer: [] }, { HexKey: [] }, { HeaderOrQueryToken: [] }, {}],
      'GET /any-required': [{ RealmBearer: [] }, { HeaderOrQueryToken: [] }],
    });
  });
});
