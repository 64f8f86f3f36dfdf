import { Logger, VersioningType, type INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { expectAgreement } from './agreement';
import {
  AdminModule,
  LegacyModule,
  ReportsModule,
  swaggerAppConfig,
  swaggerAppCredentials,
  swaggerAppDocument,
  swaggerAppMetadata,
} from './swagger-app';

const prefixAndVersions = (app: INestApplication) => {
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
};

const READ = [{ OAuth2PasswordBearer: ['read'] }];

/** Every operation's security in the swagger app: `null` is "no security key" (the top-level one applies). */
const SECURITY = {
  'GET /api/v1/reports': READ,
  'GET /api/v1/reports/latest': READ,
  'GET /api/v1/reports/newest': READ,
  'POST /api/v1/reports': [{ OAuth2PasswordBearer: ['read', 'write'] }],
  'GET /api/v1/reports/custom-401': READ,
  'GET /api/v1/reports/hand-written': READ,
  'GET /api/v1/reports/optional': [{ Session: [] }, {}],
  'GET /api/v1/reports/public': [],
  'GET /api/admin': [{ APIKeyHeader: [] }],
  'GET /api/admin/legacy': [{ 'legacy-key': [] }],
  'GET /api/legacy/bearer': [{ bearer: [] }],
  'GET /api/legacy/key': [{ 'legacy-key': [] }],
  'GET /api/legacy/oauth': [{ 'legacy-oauth': ['read'] }],
  'GET /api/legacy/top-level': null,
};

describe.each(PLATFORMS)('an app with @nestjs/swagger decorators (%s)', (platform) => {
  let t: TestApp;
  let warnings: string[];
  beforeAll(async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      t = await createTestApp(platform, swaggerAppMetadata, prefixAndVersions);
      warnings = warn.mock.calls.map((call) => String(call[0]));
    } finally {
      warn.mockRestore();
    }
  });
  afterAll(() => t.close());

  it('documents each operation by its route, whatever its operationId, prefix, version or number of paths', () => {
    const document = swaggerAppDocument(t.app);
    expect(securityByOperation(document)).toStrictEqual(SECURITY);
    expect(document.paths['/api/v1/reports'].get).toMatchObject({ operationId: 'listReports', summary: 'List the reports' });
    expect(document.paths['/api/legacy/key'].get!.operationId).toBe('legacyKey');
  });

  it('uses no operationId at all: a custom operationIdFactory changes nothing', () => {
    const operationIdFactory = (controllerKey: string, methodKey: string) => `${methodKey.length}-${controllerKey.length}`;
    const document = swaggerAppDocument(t.app, { operationIdFactory });
    expect(document.paths['/api/v1/reports/latest'].get!.operationId).toMatch(/^\d+-\d+$/);
    expect(securityByOperation(document)).toStrictEqual(SECURITY);
  });

  it('keeps the schemes and the top-level requirement the DocumentBuilder declared, next to the registered ones', () => {
    const document = swaggerAppDocument(t.app);
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(document.components!.securitySchemes!)).toEqual([
      'bearer',
      'legacy-key',
      'legacy-oauth',
      'OAuth2PasswordBearer',
      'APIKeyHeader',
      'Session',
    ]);
    expect(document.components!.securitySchemes!['legacy-key']).toEqual({ type: 'apiKey', in: 'header', name: 'X-Legacy-Key' });
  });

  it('keeps what hand-written decorators say on routes it does not govern, byte for byte', async () => {
    const plain = await createTestApp(platform, { imports: [AdminModule, LegacyModule] }, prefixAndVersions);
    try {
      const withoutLibrary = SwaggerModule.createDocument(plain.app, swaggerAppConfig()).paths;
      const withLibrary = swaggerAppDocument(t.app).paths;
      for (const path of ['/api/admin/legacy', '/api/legacy/bearer', '/api/legacy/key', '/api/legacy/oauth', '/api/legacy/top-level']) {
        expect(JSON.stringify(withLibrary[path])).toBe(JSON.stringify(withoutLibrary[path]));
      }
    } finally {
      await plain.close();
    }
  });

  it('warns once at start-up about each governed route whose Swagger security decorators differ from what it enforces', () => {
    expect(warnings.filter((message) => message.includes('Swagger security decorators'))).toEqual([
      'ReportsController.handWritten has Swagger security decorators ([{"bearer":[]}]) that differ from the security it ' +
        'enforces ([{"OAuth2PasswordBearer":["read"]}]); the OpenAPI document shows what is enforced.',
      'AdminController.dashboard has Swagger security decorators ([{"legacy-key":[]}]) that differ from the security it ' +
        'enforces ([{"APIKeyHeader":[]}]); the OpenAPI document shows what is enforced.',
    ]);
  });

  it('documents only the included modules, each with its security', () => {
    expect(securityByOperation(swaggerAppDocument(t.app, { include: [AdminModule] }))).toStrictEqual({
      'GET /api/admin': [{ APIKeyHeader: [] }],
      'GET /api/admin/legacy': [{ 'legacy-key': [] }],
    });
    const reports = securityByOperation(swaggerAppDocument(t.app, { include: [ReportsModule] }));
    expect(reports).toStrictEqual(Object.fromEntries(Object.entries(SECURITY).filter(([key]) => key.includes('/reports'))));
  });

  it('agrees with the guard and the app’s own guard on every route', async () => {
    await expectAgreement(t, { credentials: swaggerAppCredentials, document: swaggerAppDocument(t.app) });
  });
});

describe.each(PLATFORMS)('header versioning (%s)', (platform) => {
  it('documents the routes of a header-versioned app, and agrees with the guard', async () => {
    const t = await createTestApp(platform, swaggerAppMetadata, (app) => {
      app.enableVersioning({ type: VersioningType.HEADER, header: 'X-API-Version', defaultVersion: '1' });
    });
    try {
      const document = swaggerAppDocument(t.app);
      expect(document.paths['/reports'].post!.security).toEqual([{ OAuth2PasswordBearer: ['read', 'write'] }]);
      expect(document.paths['/reports/hand-written'].get!.operationId).toBe('ReportsController_handWritten_1');
      expect(document.paths['/reports/hand-written'].get!.security).toEqual(READ);
      await expectAgreement(t, { credentials: swaggerAppCredentials, document, headers: { 'X-API-Version': '1' } });
    } finally {
      await t.close();
    }
  });
});
