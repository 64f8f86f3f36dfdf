import { Controller, Get, VersioningType, type Type } from '@nestjs/common';
import { ApiExcludeController, ApiOperation, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APIKeyHeader, applySecurityToDocument, HTTPBearer, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { TokenValidator } from '../utils/tokens';
import { expectAgreement } from './agreement';
import { docsAppMetadata } from './docs-app';

const COMPONENTS = {
  APIKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Service key' },
  OAuth2PasswordBearer: {
    type: 'oauth2',
    flows: { password: { tokenUrl: '/auth/token', scopes: { read: 'Read', write: 'Write' } } },
  },
  Session: { type: 'apiKey', in: 'cookie', name: 'session' },
  APIKeyQuery: { type: 'apiKey', in: 'query', name: 'key' },
};

/** The per-operation security of the docs app (its open routes say `@ApiOperation({ security: [] })`). */
const OPERATIONS = {
  'GET /docs/inherited': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }],
  'GET /docs/scopes': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] }],
  'GET /docs/either': [
    { APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] },
    { APIKeyHeader: [], OAuth2PasswordBearer: ['read'], APIKeyQuery: [] },
  ],
  'GET /docs/and': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] }],
  'GET /docs/public': [],
  'GET /docs/optional': [{ Session: [] }, {}],
  'GET /docs/guarded': [{ APIKeyQuery: [] }],
  'POST /docs/items/{id}': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }],
  'GET /open': [],
};

describe.each(PLATFORMS)('the OpenAPI document (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, docsAppMetadata);
  });
  afterAll(() => t.close());

  it('writes every registered scheme, schemes used only by a SchemeGuard included', () => {
    expect(buildDocument(t.app).components?.securitySchemes).toStrictEqual(COMPONENTS);
  });

  it('writes each operation: alternatives in order, AND as one object, scopes in merge order, optional with {}', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual(OPERATIONS);
  });

  it('keeps a top-level requirement, and what open routes say by hand', () => {
    const document = buildDocument(t.app, (builder) => builder.addSecurityRequirements('APIKeyHeader'));
    expect(document.security).toEqual([{ APIKeyHeader: [] }]);
    expect(securityByOperation(document)).toStrictEqual(OPERATIONS);
  });

  it('keeps schemes the DocumentBuilder declared', () => {
    const document = buildDocument(t.app, (builder) => builder.addBasicAuth({ type: 'http', scheme: 'basic' }, 'legacy'));
    expect(document.components?.securitySchemes).toStrictEqual({ legacy: { type: 'http', scheme: 'basic' }, ...COMPONENTS });
  });

  it('serializes to exactly this JSON', () => {
    const { components, paths } = buildDocument(t.app);
    expect(JSON.parse(JSON.stringify({ securitySchemes: components?.securitySchemes, either: paths['/docs/either'].get!.security }))).toEqual({
      securitySchemes: COMPONENTS,
      either: [
        { APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] },
        { APIKeyHeader: [], OAuth2PasswordBearer: ['read'], APIKeyQuery: [] },
      ],
    });
  });
});

const bearerScheme = new HTTPBearer();
/** The test tokens' validator (any subject but `rejected`). */
const bearerRegistration = { scheme: bearerScheme, validator: new TokenValidator() };

@Security(bearerScheme)
@Controller({ path: 'reports', version: '1' })
class ReportsV1Controller {
  @Get()
  list() {
    return [];
  }
}

@Controller({ path: 'reports', version: '2' })
class ReportsV2Controller {
  @Get()
  list() {
    return [];
  }
}

describe.each(PLATFORMS)('matching operations to routes (%s)', (platform) => {
  it('matches versioned routes under a global prefix', async () => {
    const t = await createTestApp(
      platform,
      {
        imports: [SecuritySchemesModule.forRoot({ schemes: [bearerRegistration] })],
        controllers: [ReportsV1Controller, ReportsV2Controller],
      },
      (app) => {
        app.setGlobalPrefix('api');
        app.enableVersioning({ type: VersioningType.URI });
      },
    );
    try {
      expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
        'GET /api/v1/reports': [{ HTTPBearer: [] }],
        'GET /api/v2/reports': null,
      });
      await expectAgreement(t, { credentials: { HTTPBearer: { headers: { Authorization: 'Bearer any' } } } });
    } finally {
      await t.close();
    }
  });

  it('documents a controller compiled by two apps with what each app enforces', async () => {
    const metadata = (defaultSecurity: HTTPBearer[]) => ({
      imports: [SecuritySchemesModule.forRoot({ schemes: [bearerRegistration], defaultSecurity })],
      controllers: [ReportsV2Controller],
    });
    const secured = await createTestApp(platform, metadata([bearerScheme]));
    try {
      expect(securityByOperation(buildDocument(secured.app))).toStrictEqual({ 'GET /reports': [{ HTTPBearer: [] }] });
    } finally {
      await secured.close();
    }
    const open = await createTestApp(platform, metadata([]));
    try {
      const document = buildDocument(open.app);
      expect(securityByOperation(document)).toStrictEqual({ 'GET /reports': null });
      expect(Object.keys(document.paths['/reports'].get!.responses)).toEqual(['200']);
      await expectAgreement(open, { credentials: {} });
    } finally {
      await open.close();
    }
  });

  it('tells apart two controllers of the same class name with different security', async () => {
    const same = (path: string, scheme?: APIKeyHeader): Type => {
      @Controller(path)
      class SameNameController {
        @Get()
        handler() {
          return {};
        }
      }
      if (scheme) Security(scheme)(SameNameController);
      return SameNameController;
    };
    const key = new APIKeyHeader({ name: 'X-Key' });
    const t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: key, validator: new TokenValidator() }] })],
      controllers: [same('one', key), same('two')],
    });
    try {
      expect(securityByOperation(buildDocument(t.app))).toStrictEqual({ 'GET /one': [{ APIKeyHeader: [] }], 'GET /two': null });
      await expectAgreement(t, { credentials: { APIKeyHeader: { headers: { 'X-Key': 'any' } } } });
    } finally {
      await t.close();
    }
  });

  it('documents an inherited handler per controller, and keeps @ApiExcludeController()', async () => {
    @Controller('base')
    class BaseController {
      @ApiOperation({ summary: 'List' })
      @Get()
      list() {
        return [];
      }
    }
    @Security(bearerScheme)
    @Controller('derived')
    class DerivedController extends BaseController {}
    @ApiExcludeController()
    @Security(bearerScheme)
    @Controller('hidden')
    class HiddenController extends BaseController {}
    const t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [bearerRegistration] })],
      controllers: [DerivedController, BaseController, HiddenController],
    });
    try {
      const operationIdFactory = (_controller: string, method: string) => method;
      const document = SwaggerModule.createDocument(t.app, new DocumentBuilder().build(), { operationIdFactory });
      expect(securityByOperation(applySecurityToDocument(t.app, document))).toStrictEqual({
        'GET /derived': [{ HTTPBearer: [] }],
        'GET /base': null,
      });
      expect(Object.keys(document.paths['/derived'].get!.responses)).toEqual(['200', '401']);
      expect(Object.keys(document.paths['/base'].get!.responses)).toEqual(['200']);
      expect([document.paths['/derived'].get!.summary, document.paths['/base'].get!.summary]).toEqual(['List', 'List']);
      await expectAgreement(t, { credentials: { HTTPBearer: { headers: { Authorization: 'Bearer any' } } }, document });
    } finally {
      await t.close();
    }
  });
});
