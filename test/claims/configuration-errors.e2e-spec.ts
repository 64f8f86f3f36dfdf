import { Controller, Get, Logger } from '@nestjs/common';
import { APIKeyHeader, equals, HTTPBearer, includes, oneOf, satisfies, Security, SecuritySchemesModule } from 'nestjs-security-schemes';
import { createTestApp } from '../utils/platforms';

const bearer = new HTTPBearer({ schemeName: 'bearer' });

describe('claim checks and step-up: configuration errors at start-up', () => {
  it.each([
    [{ acrValues: ['urn mfa'] }, '@Security(bearer): acrValues must be a non-empty array of acr values'],
    [{ acrValues: ['urn:"mfa"'] }, '@Security(bearer): acrValues must be a non-empty array'],
    [{ acrValues: ['urn:mfä'] }, '@Security(bearer): acrValues must be a non-empty array'],
    [{ acrValues: [] }, '@Security(bearer): acrValues must be a non-empty array'],
    [{ maxAge: 0 }, '@Security(bearer): maxAge must be a positive whole number of seconds, got 0.'],
    [{ maxAge: 1.5 }, '@Security(bearer): maxAge must be a positive whole number of seconds, got 1.5.'],
    [{ maxAge: '300' }, '@Security(bearer): maxAge must be a positive whole number of seconds, got "300".'],
    [{ claims: { roles: 'admin' } }, '@Security(bearer): the check of claim "roles" must be made with equals(), oneOf(), includes() or satisfies().'],
    [{ claims: { roles: [] } }, '@Security(bearer): the check of claim "roles" must be made with'],
    [{ claims: [includes('admin')] }, '@Security(bearer): claims must be an object of checks by claim name'],
  ])('%j is refused where it is declared', (options, message) => {
    expect(() => Security(bearer, options as never)).toThrow(message);
  });

  it.each([
    [() => equals({} as never), 'equals(): give strings, finite numbers or booleans, got [{}].'],
    [() => oneOf(...([] as unknown as [string])), 'oneOf(): give strings, finite numbers or booleans, got [].'],
    [() => includes(1 as never), 'includes(): give one or more strings, got [1].'],
    [() => includes(''), 'includes(): values cannot be empty strings.'],
    [() => satisfies((() => true) as never, ''), 'satisfies(predicate, description): describe what the predicate checks'],
  ])('helpers refuse what they cannot check (%#)', (make, message) => {
    expect(make).toThrow(message);
  });

  it('acr values with nothing in common across levels fail at start-up, naming the route', async () => {
    @Security(bearer, { acrValues: ['urn:mfa'] })
    @Controller()
    class StrictController {
      @Security(bearer, { acrValues: ['urn:pwd'] })
      @Get()
      handle() {}
    }
    await expect(
      createTestApp('express', {
        imports: [SecuritySchemesModule.forRoot({ schemes: [bearer] })],
        controllers: [StrictController],
      }),
    ).rejects.toThrow(
      'StrictController.handle: the acr values required at different levels have none in common (["urn:mfa"] and ["urn:pwd"])',
    );
  });

  it('warns at start-up when a scheme validated by the handler has claim checks, and refuses every request (fail closed)', async () => {
    const apiKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'apiKey' });
    @Controller()
    class KeyController {
      @Security(apiKey, { claims: { roles: includes('admin') } })
      @Get()
      handle() {}
    }
    // The registry compiles routes when it is created, before the application's logger is set.
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const t = await createTestApp('express', { imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validatedBy: 'handler' }] })], controllers: [KeyController] });
    try {
      expect(warn.mock.calls.map((call) => call[0])).toEqual([
        'KeyController.handle checks claims of scheme "apiKey", which has no validator: its credentials carry no claims, so every request will be refused.',
      ]);
      expect((await t.http.get('/').set('X-API-Key', 'k')).status).toBe(403);
    } finally {
      warn.mockRestore();
      await t.close();
    }
  });
});
