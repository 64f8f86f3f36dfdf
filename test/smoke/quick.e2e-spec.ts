import { Controller, Get, Injectable } from '@nestjs/common';
import { APIKeyHeader, CurrentUser, Security, SecuritySchemesModule, type SecurityValidator } from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Injectable()
class KeyValidator implements SecurityValidator<string> {
  validate(key: string) {
    return key === 'good' ? { name: 'svc' } : null;
  }
}

@Controller()
class C {
  @Get('open') open() { return { ok: true }; }
  @Security(apiKey) @Get('key') key(@CurrentUser() user: unknown) { return user; }
}

describe.each(PLATFORMS)('quick (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: KeyValidator }] })],
      providers: [KeyValidator],
      controllers: [C],
    });
  });
  afterAll(() => t.close());
  it('works', async () => {
    await t.http.get('/open').expect(200, { ok: true });
    const r = await t.http.get('/key').expect(401);
    expect(r.body).toEqual({ statusCode: 401, message: 'Not authenticated', error: 'Unauthorized' });
    expect(r.headers['www-authenticate']).toBe('APIKey');
    await t.http.get('/key').set('x-api-key', 'bad').expect(401);
    await t.http.get('/key').set('X-API-KEY', 'good').expect(200, { name: 'svc' });
  });
});
