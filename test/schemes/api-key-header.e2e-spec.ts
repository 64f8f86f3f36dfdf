import { Controller, Get, Injectable } from '@nestjs/common';
import { APIKeyHeader, CurrentUser, Security, SecuritySchemesModule, type SecurityValidator } from 'nestjs-security-schemes';
import { ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const serviceKey = new APIKeyHeader({ name: 'X-API-Key', description: 'Key issued to services' });
const optionalKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'OptionalKey', autoError: false });
class PartnerKey extends APIKeyHeader {}
const partnerKey = new PartnerKey({ name: 'X-Partner' });

/** Accepts any key but `revoked`; the principal shows the key exactly as received. */
@Injectable()
class KeyValidator implements SecurityValidator<string> {
  validate(key: string) {
    return key === 'revoked' ? null : { key };
  }
}

@Controller()
class KeyController {
  @Security(serviceKey)
  @Get('required')
  required(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalKey)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(partnerKey)
  @Get('partner')
  partner(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('APIKeyHeader (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: serviceKey, validator: KeyValidator },
            { scheme: optionalKey, validator: KeyValidator },
            { scheme: partnerKey, validatedBy: 'handler' },
          ],
        }),
      ],
      providers: [KeyValidator],
      controllers: [KeyController],
    });
  });
  afterAll(() => t.close());

  describe('autoError: true', () => {
    it('passes the key, exactly as sent, to the validator', async () => {
      expect(await get('/required', { 'X-API-Key': 'Ab+/= c' })).toEqual(ok({ user: { key: 'Ab+/= c' } }));
    });

    it('matches the header name case-insensitively', async () => {
      expect(await get('/required', { 'x-api-key': 'lower' })).toEqual(ok({ user: { key: 'lower' } }));
      expect(await get('/required', { 'X-API-KEY': 'upper' })).toEqual(ok({ user: { key: 'upper' } }));
    });

    it('takes the first value of a header sent twice, as FastAPI does (Node would join them)', async () => {
      const twice = await t.http.get('/required').set({ 'X-API-Key': ['first', 'second'] }).then(outcome);
      expect(twice).toEqual(ok({ user: { key: 'first' } }));
      const rejectedFirst = await t.http.get('/required').set({ 'X-API-Key': ['revoked', 'second'] }).then(outcome);
      expect(rejectedFirst).toEqual(unauthorized('APIKey'));
      const emptyFirst = await t.http.get('/required').set({ 'X-API-Key': ['', 'second'] }).then(outcome);
      expect(emptyFirst).toEqual(unauthorized('APIKey'));
    });

    it('keeps a comma inside one header value', async () => {
      expect(await get('/required', { 'X-API-Key': 'a, b' })).toEqual(ok({ user: { key: 'a, b' } }));
    });

    it('answers 401 APIKey without the header', async () => {
      expect(await get('/required')).toEqual(unauthorized('APIKey'));
    });

    it('treats an empty or blank value as missing', async () => {
      expect(await get('/required', { 'X-API-Key': '' })).toEqual(unauthorized('APIKey'));
      expect(await get('/required', { 'X-API-Key': '   ' })).toEqual(unauthorized('APIKey'));
    });

    it('ignores the key in another place (query, cookie, other header)', async () => {
      expect(await get('/required?X-API-Key=k')).toEqual(unauthorized('APIKey'));
      expect(await get('/required', { Cookie: 'X-API-Key=k' })).toEqual(unauthorized('APIKey'));
      expect(await get('/required', { 'X-API-Key-2': 'k', Authorization: 'APIKey k' })).toEqual(unauthorized('APIKey'));
    });

    it('answers 401 APIKey when the validator rejects the key', async () => {
      expect(await get('/required', { 'X-API-Key': 'revoked' })).toEqual(unauthorized('APIKey'));
    });
  });

  describe('autoError: false', () => {
    it('runs the handler with a null user without the header', async () => {
      expect(await get('/optional')).toEqual(ok({ user: null }));
    });

    it('runs the handler with a null user for an empty value', async () => {
      expect(await get('/optional', { 'X-API-Key': '' })).toEqual(ok({ user: null }));
    });

    it('still validates a key that is sent', async () => {
      expect(await get('/optional', { 'x-api-key': 'k1' })).toEqual(ok({ user: { key: 'k1' } }));
      expect(await get('/optional', { 'X-API-Key': 'revoked' })).toEqual(unauthorized('APIKey'));
    });
  });

  it('uses the key itself as the principal without a validator', async () => {
    expect(await get('/partner', { 'X-Partner': 'p-1' })).toEqual(ok({ user: 'p-1' }));
    expect(await get('/partner')).toEqual(unauthorized('APIKey'));
  });

  it('documents each scheme and each operation', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      APIKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Key issued to services' },
      OptionalKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      PartnerKey: { type: 'apiKey', in: 'header', name: 'X-Partner' },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /required': [{ APIKeyHeader: [] }],
      'GET /optional': [{ OptionalKey: [] }, {}],
      'GET /partner': [{ PartnerKey: [] }],
    });
  });
});
