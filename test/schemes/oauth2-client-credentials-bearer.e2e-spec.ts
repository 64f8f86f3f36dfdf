import { Controller, Get, Injectable } from '@nestjs/common';
import {
  CurrentScopes,
  CurrentUser,
  OAuth2ClientCredentialsBearer,
  Security,
  SecuritySchemesModule,
  type SecurityScopes,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument, securityByOperation } from '../utils/openapi';
import { createTestApp, PLATFORMS, type TestApp } from '../utils/platforms';

const machine = new OAuth2ClientCredentialsBearer({
  tokenUrl: 'https://idp.example.com/token',
  refreshUrl: 'https://idp.example.com/refresh',
  scopes: { 'jobs:read': 'Read jobs', 'jobs:run': 'Run jobs' },
  description: 'Machine-to-machine tokens',
});
const optionalMachine = new OAuth2ClientCredentialsBearer({ tokenUrl: '/oauth/token', schemeName: 'OptionalMachine', autoError: false });

/** Every token but `revoked` is valid and grants `jobs:read`; the principal shows the token received. */
@Injectable()
class TokenValidator implements SecurityValidator<string> {
  validate(token: string) {
    return token === 'revoked' ? null : { token, scopes: ['jobs:read'] };
  }
}

@Controller()
class JobsController {
  @Security(machine, ['jobs:read'])
  @Get('jobs')
  jobs(@CurrentUser('token') token: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { token, required: scopes.scopes };
  }

  @Security(machine, ['jobs:run'])
  @Get('run')
  run() {
    return { ran: true };
  }

  @Security(optionalMachine)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }
}

describe.each(PLATFORMS)('OAuth2ClientCredentialsBearer (%s)', (platform) => {
  let t: TestApp;
  const get = (path: string, authorization?: string) =>
    (authorization === undefined ? t.http.get(path) : t.http.get(path).set('Authorization', authorization)).then(outcome);

  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [
        SecuritySchemesModule.forRoot({
          schemes: [
            { scheme: machine, validator: TokenValidator },
            { scheme: optionalMachine, validatedBy: 'handler' },
          ],
        }),
      ],
      providers: [TokenValidator],
      controllers: [JobsController],
    });
  });
  afterAll(() => t.close());

  it('returns the bearer token, trimmed, the scheme word in any case', async () => {
    expect(await get('/jobs', 'Bearer abc.def')).toEqual(ok({ token: 'abc.def', required: ['jobs:read'] }));
    expect(await get('/jobs', 'bEaReR   tok ')).toEqual(ok({ token: 'tok', required: ['jobs:read'] }));
  });

  it.each([
    ['no header', undefined],
    ['Bearer alone', 'Bearer'],
    ['another scheme', 'Basic YTpi'],
    ['the scheme word glued to the token', 'Bearerabc'],
    ['a rejected token', 'Bearer revoked'],
  ])('answers 401 Bearer for %s', async (_case, authorization) => {
    expect(await get('/jobs', authorization)).toEqual(unauthorized('Bearer'));
  });

  it('answers 403 insufficient_scope for a scope the token lacks', async () => {
    expect(await get('/run', 'Bearer abc')).toEqual(forbidden('jobs:run'));
  });

  it('autoError: false runs the handler with a null user, or the token when sent', async () => {
    expect(await get('/optional')).toEqual(ok({ user: null }));
    expect(await get('/optional', 'Bearer xyz')).toEqual(ok({ user: 'xyz' }));
  });

  it('documents the clientCredentials flow, always with scopes, refreshUrl only when given', () => {
    const document = buildDocument(t.app);
    expect(document.components?.securitySchemes).toStrictEqual({
      OAuth2ClientCredentialsBearer: {
        type: 'oauth2',
        description: 'Machine-to-machine tokens',
        flows: {
          clientCredentials: {
            tokenUrl: 'https://idp.example.com/token',
            refreshUrl: 'https://idp.example.com/refresh',
            scopes: { 'jobs:read': 'Read jobs', 'jobs:run': 'Run jobs' },
          },
        },
      },
      OptionalMachine: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } },
    });
    expect(securityByOperation(document)).toStrictEqual({
      'GET /jobs': [{ OAuth2ClientCredentialsBearer: ['jobs:read'] }],
      'GET /run': [{ OAuth2ClientCredentialsBearer: ['jobs:run'] }],
      'GET /optional': [{ OptionalMachine: [] }, {}],
    });
  });

  it('refuses to be built without a tokenUrl', () => {
    expect(() => new OAuth2ClientCredentialsBearer({ tokenUrl: '' })).toThrow(
      'OAuth2ClientCredentialsBearer: "tokenUrl" must be a non-empty string.',
    );
  });

  it('refuses a route scope the scheme does not declare, at start-up', async () => {
    @Controller()
    class Undeclared {
      @Security(machine, ['jobs:delete'])
      @Get('x')
      x() {}
    }
    await expect(
      createTestApp(platform, {
        imports: [SecuritySchemesModule.forRoot({ schemes: [machine] })],
        controllers: [Undeclared],
      }),
    ).rejects.toThrow('Undeclared.x requires scope "jobs:delete" of scheme "OAuth2ClientCredentialsBearer", which declares only: jobs:read, jobs:run.');
  });
});
