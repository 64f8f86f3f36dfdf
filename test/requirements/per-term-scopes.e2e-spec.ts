import { Controller, Get } from '@nestjs/common';
import {
  APIKeyHeader,
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecurityAll,
  SecuritySchemesModule,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';
import { bearer, token, TokenValidator } from '../utils/tokens';

// A scheme's scopes merge inside one term of the normal form, never across alternatives.

const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  scopes: { admin: 'Administer', support: 'Support staff', items: 'Items', me: 'Your profile' },
});
const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Controller('staff')
class StaffController {
  @Security(oauth2, ['admin'])
  @Security(oauth2, ['support'])
  @Get()
  adminsOrSupport(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

@SecurityAll({ scheme: oauth2, scopes: ['items'] }, { scheme: apiKey })
@Controller('items')
class ItemsController {
  @Security(oauth2, ['me'])
  @Security(oauth2, ['items'])
  @Get()
  items(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

const KEY = { 'X-API-Key': token('svc') };

describe.each(PLATFORMS)('scopes merge per term, never across alternatives (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: oauth2, validator: TokenValidator },
            { scheme: apiKey, validator: TokenValidator },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [StaffController, ItemsController],
    });
  });
  afterAll(() => t.close());

  it('lets admins in, and support staff: two alternatives of one scheme', async () => {
    expect(await get('/staff', bearer('ann', ['admin']))).toEqual(ok({ sub: 'ann' }));
    expect(await get('/staff', bearer('sam', ['support']))).toEqual(ok({ sub: 'sam' }));
    expect(await get('/staff', bearer('joe', ['items']))).toEqual(forbidden('admin'));
    expect(await get('/staff')).toEqual(unauthorized('Bearer'));
  });

  it('answers the product (oauth2 items+me AND key) OR (oauth2 items AND key)', async () => {
    expect(await get('/items', { ...bearer('ann', ['items']), ...KEY })).toEqual(ok({ sub: 'ann' }));
    expect(await get('/items', { ...bearer('ann', ['items', 'me']), ...KEY })).toEqual(ok({ sub: 'ann' }));
    expect(await get('/items', { ...bearer('ann', ['me']), ...KEY })).toEqual(forbidden('items me'));
    expect(await get('/items', bearer('ann', ['items', 'me']))).toEqual(unauthorized('APIKey'));
  });

  it('documents each term as its own alternative', () => {
    expect(securityByOperation(buildDocument(t.app))).toStrictEqual({
      'GET /staff': [{ OAuth2PasswordBearer: ['admin'] }, { OAuth2PasswordBearer: ['support'] }],
      'GET /items': [
        { OAuth2PasswordBearer: ['items', 'me'], APIKeyHeader: [] },
        { OAuth2PasswordBearer: ['items'], APIKeyHeader: [] },
      ],
    });
  });

  it('enforces what it documents', async () => {
    await expectAgreement(t, {
      credentials: {
        OAuth2PasswordBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        APIKeyHeader: { headers: KEY },
      },
    });
  });
});
