import { Controller, Get } from '@nestjs/common';
import { APIKeyHeader, HTTPBasic, HTTPBearer, OAuth2PasswordBearer, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS } from '../utils/platforms';

describe('schemeName: a key of components.securitySchemes as written', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses %s, a property of every object, naming it', (schemeName) => {
    expect(() => new HTTPBearer({ schemeName })).toThrow(
      `HTTPBearer: schemeName "${schemeName}" is a property of every JavaScript object (Object.prototype)`,
    );
  });

  it.each(['my scheme', 'a/b', 'clé', 'x:y', 'tab\tname', '{braces}'])('refuses %j, outside OpenAPI\'s ^[a-zA-Z0-9.\\-_]+$', (schemeName) => {
    expect(() => new APIKeyHeader({ name: 'X-Key', schemeName })).toThrow(
      `APIKeyHeader: schemeName ${JSON.stringify(schemeName)} cannot be a key of components.securitySchemes`,
    );
  });

  it('refuses a default name taken from a class that is not a valid key', () => {
    const Anonymous$Scheme = class extends HTTPBasic {};
    Object.defineProperty(Anonymous$Scheme, 'name', { value: 'Anonymous$Scheme' });
    expect(() => new Anonymous$Scheme()).toThrow('Anonymous$Scheme: schemeName "Anonymous$Scheme" cannot be a key');
  });
});

describe.each(PLATFORMS)('schemeName at start-up (%s)', (platform) => {
  it('refuses, naming it, a subclass that sets an invalid schemeName after construction', async () => {
    class ProtoBearer extends HTTPBearer {
      override readonly schemeName = '__proto__';
    }
    await expect(createTestApp(platform, { imports: [SecuritySchemesModule.forRoot({ schemes: [new ProtoBearer()] })] })).rejects.toThrow(
      'SecuritySchemesModule: scheme ProtoBearer: schemeName "__proto__" is a property of every JavaScript object',
    );
  });

  it('writes every allowed character into the document, under the name the operations reference', async () => {
    const scheme = new OAuth2PasswordBearer({ tokenUrl: 'token', schemeName: 'Tenant.Key-2_v1' });
    @Controller()
    class NamedController {
      @Security(scheme)
      @Get('named')
      named() {}
    }
    const { app, close } = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme, validatedBy: 'handler' }] })],
      controllers: [NamedController],
    });
    try {
      const document = buildDocument(app);
      expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['Tenant.Key-2_v1']);
      expect(securityByOperation(document)).toStrictEqual({ 'GET /named': [{ 'Tenant.Key-2_v1': [] }] });
    } finally {
      await close();
    }
  });
});
