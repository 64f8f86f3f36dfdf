import { Controller, Get } from '@nestjs/common';
import { CurrentUser, HTTPBearer, Security, SecuritySchemesModule, type HTTPAuthorizationCredentials } from 'nestjs-security-schemes';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// A validator may be an object instead of a provider class (e.g. one built from configuration).

const bearer = new HTTPBearer();
const tokens: Record<string, { sub: string; scope: string }> = { t1: { sub: 'ann', scope: 'read write' } };

@Controller('docs')
class DocsController {
  @Security(bearer, ['read'])
  @Get()
  read(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }

  @Security(bearer, ['admin'])
  @Get('admin')
  admin(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

describe.each(PLATFORMS)('a validator instance (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);
  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [{ scheme: bearer, validator: { validate: ({ credentials }: HTTPAuthorizationCredentials) => tokens[credentials] } }],
        }),
      ],
      controllers: [DocsController],
    });
  });
  afterAll(() => t.close());

  it('validates credentials and its principal grants scopes like a provider does', async () => {
    expect(await get('/docs', { Authorization: 'Bearer t1' })).toEqual(ok({ sub: 'ann' }));
    expect(await get('/docs/admin', { Authorization: 'Bearer t1' })).toEqual(forbidden('admin'));
    expect(await get('/docs', { Authorization: 'Bearer nope' })).toEqual(unauthorized('Bearer'));
  });
});
