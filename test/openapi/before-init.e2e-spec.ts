import { VersioningType, type INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS } from '../utils/platforms';
import { expectAgreement } from './agreement';
import { LegacyModule, ReportsModule, swaggerAppCredentials, swaggerAppDocument, swaggerAppMetadata } from './swagger-app';

// Its own file: the controllers are fresh (jest loads them anew per file), so nothing was compiled
// before the documents are made, as in a main.ts that calls createDocument before listen().

const prefixAndVersions = (app: INestApplication) => {
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
};

const READ = [{ OAuth2PasswordBearer: ['read'] }];

describe.each(PLATFORMS)('several documents made before init, as in main.ts (%s)', (platform) => {
  it('serves each with its own operations and their security', async () => {
    const t = await createTestApp(platform, swaggerAppMetadata, (app) => {
      prefixAndVersions(app);
      SwaggerModule.setup('docs/reports', app, swaggerAppDocument(app, { include: [ReportsModule] }), { ui: false, raw: ['json'] });
      SwaggerModule.setup('docs/legacy', app, swaggerAppDocument(app, { include: [LegacyModule] }), { ui: false, raw: ['json'] });
    });
    try {
      const reports = (await t.http.get('/docs/reports-json').expect(200)).body;
      const legacy = (await t.http.get('/docs/legacy-json').expect(200)).body;
      expect(securityByOperation(reports)).toStrictEqual({
        'GET /api/v1/reports': READ,
        'GET /api/v1/reports/latest': READ,
        'GET /api/v1/reports/newest': READ,
        'POST /api/v1/reports': [{ OAuth2PasswordBearer: ['read', 'write'] }],
        'GET /api/v1/reports/custom-401': READ,
        'GET /api/v1/reports/hand-written': READ,
        'GET /api/v1/reports/optional': [{ Session: [] }, {}],
        'GET /api/v1/reports/public': [],
      });
      expect(securityByOperation(legacy)).toStrictEqual({
        'GET /api/legacy/bearer': [{ bearer: [] }],
        'GET /api/legacy/key': [{ 'legacy-key': [] }],
        'GET /api/legacy/oauth': [{ 'legacy-oauth': ['read'] }],
        'GET /api/legacy/top-level': null,
      });
      await expectAgreement(t, { credentials: swaggerAppCredentials, document: reports });
    } finally {
      await t.close();
    }
  });
});

