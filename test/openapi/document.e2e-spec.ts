import { Controller, Get, VersioningType, type Type } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APIKeyHeader, applySecurityToDocument, HTTPBearer, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
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

/** The per-operation security of the docs app; `none` is what an operation without requirement gets. */
const operations = (none: unknown) => ({
  'GET /docs/inherited': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }],
  'GET /docs/scopes': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] }],
  'GET /docs/either': [
    { APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] },
    { APIKeyHeader: [], OAuth2PasswordBearer: ['read'], APIKeyQuery: [] },
  ],
  'GET /docs/and': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] }],
  'GET /docs/public': none,
  'GET /docs/optional': [{ Session: [] }, {}],
  'GET /docs/guarded': [{ APIKeyQuery: [] }],
  'POST /docs/items/{id}': [{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }],
  'GET /open': none,
});

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
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual(operations(null));
  });

  it('writes security: [] on operations without requirement when the document has a top-level requirement', () => {
    const document = buildDocument(t.app, (builder) => builder.addSecurityRequirements('APIKeyHeader'));
    expect(document.security).toEqual([{ APIKeyHeader: [] }]);
    expect(securityByOperation(document)).toStrictEqual(operations([]));
  });

  it('keeps schemes the DocumentBuilder declared', () => {
    const document = buildDocument(t.app, (builder) => builder.addBasicAuth({ type: 'http', scheme: 'basic' }, 'legacy'));
    expect(document.components?.securitySchemes).toStrictEqual({ legacy: { type: 'http', scheme: 'basic' }, ...COMPONENTS });
  });

  it('replaces security that @ApiSecurity-style metadata put on an operation', () => {
    const created = SwaggerModule.createDocument(t.app, new DocumentBuilder().build());
    created.paths['/open'].get!.security = [{ stale: [] }];
    created.paths['/docs/inherited'].get!.security = [{ stale: [] }];
    const document = applySecurityToDocument(t.app, created);
    expect(document.paths['/open'].get).not.toHaveProperty('security');
    expect(document.paths['/docs/inherited'].get!.security).toEqual([{ APIKeyHeader: [], OAuth2PasswordBearer: ['read'] }]);
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
        imports: [SecuritySchemesModule.forRoot({ schemes: [bearerScheme] })],
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
    } finally {
      await t.close();
    }
  });

  it('uses the operationIdFactory given to createDocument, and asks for it when ids do not match', async () => {
    const t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [bearerScheme] })],
      controllers: [ReportsV1Controller],
    });
    try {
      const operationIdFactory = (controllerKey: string, methodKey: string) => `op-${controllerKey}-${methodKey}`;
      const created = () => SwaggerModule.createDocument(t.app, new DocumentBuilder().build(), { operationIdFactory });
      expect(securityByOperation(applySecurityToDocument(t.app, created(), { operationIdFactory }))).toStrictEqual({
        'GET /reports': [{ HTTPBearer: [] }],
      });
      expect(() => applySecurityToDocument(t.app, created())).toThrow(
        new Error(
          'applySecurityToDocument: cannot tell which route GET /reports (operationId "op-ReportsV1Controller-list") is. ' +
            'Pass the operationIdFactory given to SwaggerModule.createDocument.',
        ),
      );
    } finally {
      await t.close();
    }
  });

  it('refuses two routes that share an operationId but not their security', async () => {
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
      imports: [SecuritySchemesModule.forRoot({ schemes: [key] })],
      controllers: [same('one', key), same('two')],
    });
    try {
      expect(() => buildDocument(t.app)).toThrow(
        new Error(
          'applySecurityToDocument: two routes map to operationId "SameNameController_handler" with different security. ' +
            'Give the controllers distinct class names or pass an operationIdFactory.',
        ),
      );
    } finally {
      await t.close();
    }
  });
});
