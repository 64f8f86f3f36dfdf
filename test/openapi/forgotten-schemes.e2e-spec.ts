import { Logger } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { applySecurityToDocument } from 'nestjs-security-schemes';
import { securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { docsAppMetadata } from './docs-app';

const FORGOTTEN =
  'SwaggerModule.createDocument documented secured routes, but their security schemes are not in ' +
  'components.securitySchemes: call applySecurityToDocument(app, document) before SwaggerModule.setup.';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe.each(PLATFORMS)('a document made by createDocument alone (%s)', (platform) => {
  let t: TestApp;
  let warn: jest.SpyInstance;
  beforeAll(async () => {
    t = await createTestApp(platform, docsAppMetadata);
  });
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());
  afterAll(() => t.close());

  it('has every operation’s security, and the app says what to call for the schemes', async () => {
    const document = SwaggerModule.createDocument(t.app, new DocumentBuilder().build());
    expect(securityByOperation(document)['GET /docs/either']).toEqual([
      { APIKeyHeader: [], OAuth2PasswordBearer: ['read', 'write'] },
      { APIKeyHeader: [], OAuth2PasswordBearer: ['read'], APIKeyQuery: [] },
    ]);
    expect(document.components?.securitySchemes).toBeUndefined();
    await nextTurn();
    expect(warn.mock.calls.map((call) => call[0])).toEqual([FORGOTTEN]);
  });

  it('says nothing when applySecurityToDocument adds the schemes', async () => {
    const document = applySecurityToDocument(t.app, SwaggerModule.createDocument(t.app, new DocumentBuilder().build()));
    expect(Object.keys(document.components!.securitySchemes!)).toEqual(['APIKeyHeader', 'OAuth2PasswordBearer', 'Session', 'APIKeyQuery']);
    await nextTurn();
    expect(warn).not.toHaveBeenCalled();
  });
});
