import { Controller, Get, HttpException, Injectable } from '@nestjs/common';
import { APIKeyHeader, Security, SecuritySchemesModule, type SecurityValidator, type ValidatorRefusal } from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

// A validator's own refusal (not one of the library's) reaches the document when the validator documents
// it (`documentedRefusals`), whether it is a provider class (read from its prototype before it is built)
// or an instance; and the guard answers with exactly what is documented.

const licensed = new APIKeyHeader({ name: 'X-Licensed-Key', schemeName: 'LicensedKey' });
const metered = new APIKeyHeader({ name: 'X-Metered-Key', schemeName: 'MeteredKey' });
const plain = new APIKeyHeader({ name: 'X-Plain-Key', schemeName: 'PlainKey' });

const licenceExpired = () => new HttpException('Licence expired', 402);

@Injectable()
class LicensedKeyValidator implements SecurityValidator<string, { owner: string }> {
  validate(key: string) {
    if (key === 'expired') throw licenceExpired();
    return key === 'valid' ? { owner: 'ann' } : null;
  }

  documentedRefusals(): ValidatorRefusal[] {
    return [{ error: licenceExpired(), when: 'the licence behind the key has expired' }];
  }
}

const meteredValidator: SecurityValidator<string, { owner: string }> & { documentedRefusals(): ValidatorRefusal[] } = {
  validate: (key) => {
    if (key === 'spent') throw new HttpException('Quota spent', 429);
    return key === 'valid' ? { owner: 'bob' } : null;
  },
  documentedRefusals: () => [{ error: new HttpException('Quota spent', 429), when: 'the key has spent its quota' }],
};

@Controller()
class ReportsController {
  @Security(licensed)
  @Get('licensed')
  licensed() {
    return { ok: true };
  }

  @Security(metered)
  @Get('metered')
  metered() {
    return { ok: true };
  }

  @Security(plain)
  @Get('plain')
  plain() {
    return { ok: true };
  }
}

describe.each(PLATFORMS)("a validator's documented refusals (%s)", (platform) => {
  let t: TestApp;
  let responses: (path: string) => Record<string, { description?: string; content?: unknown }>;
  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: licensed, validator: LicensedKeyValidator },
            { scheme: metered, validator: meteredValidator },
            { scheme: plain, validator: { validate: (key: string) => (key === 'valid' ? { owner: 'cy' } : null) } },
          ],
        }),
      ],
      providers: [LicensedKeyValidator],
      controllers: [ReportsController],
    });
    const document = buildDocument(t.app);
    responses = (path) => document.paths[path].get!.responses as Record<string, { description?: string }>;
  });
  afterAll(() => t.close());

  it('lists the refusal a provider class documents, and the guard sends exactly it', async () => {
    expect(responses('/licensed')['402']?.description).toContain('LicensedKey: the licence behind the key has expired');
    const answer = await t.http.get('/licensed').set('X-Licensed-Key', 'expired');
    expect(answer.status).toBe(402);
    expect(answer.body).toEqual({ statusCode: 402, message: 'Licence expired' });
  });

  it('lists the refusal an instance documents', async () => {
    expect(responses('/metered')['429']?.description).toContain('MeteredKey: the key has spent its quota');
    expect((await t.http.get('/metered').set('X-Metered-Key', 'spent')).status).toBe(429);
  });

  it('lists nothing more for a validator that documents nothing', () => {
    expect(Object.keys(responses('/plain')).sort()).toEqual(['200', '401']);
  });
});
