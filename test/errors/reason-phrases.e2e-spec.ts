import { Controller, Get, Injectable } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import {
  APIKeyHeader,
  Security,
  SecurityHttpException,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

/** Throws a SecurityHttpException with the status the key names, and a header to show it is sent. */
@Injectable()
class StatusValidator implements SecurityValidator<string> {
  validate(key: string): never {
    throw new SecurityHttpException(Number(key), 'Refused', { 'Retry-After': '7' });
  }
}

@Controller()
class StatusController {
  @Security(apiKey)
  @Get('status')
  status() {
    return {};
  }
}

describe.each(PLATFORMS)('SecurityHttpException reason phrases (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: StatusValidator }] })],
      providers: [StatusValidator],
      controllers: [StatusController],
    });
  });
  afterAll(() => t.close());

  it.each([
    [400, 'Bad Request'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [407, 'Proxy Authentication Required'],
    [429, 'Too Many Requests'],
    [503, 'Service Unavailable'],
  ])('names status %i "%s", as node:http does', async (status, reason) => {
    const response = await t.http.get('/status').set('X-API-Key', String(status));
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ statusCode: status, message: 'Refused', error: reason });
    expect(response.headers['retry-after']).toBe('7');
    expect(reason).toBe(STATUS_CODES[status]);
  });

  it('falls back to "Error" for a status without a reason phrase', async () => {
    const response = await t.http.get('/status').set('X-API-Key', '499');
    expect(response.body).toEqual({ statusCode: 499, message: 'Refused', error: 'Error' });
  });
});
