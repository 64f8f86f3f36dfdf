import { Controller, Get, Injectable, Logger, UseGuards, type Type } from '@nestjs/common';
import {
  APIKeyHeader,
  APIKeyQuery,
  HTTPBearer,
  OAuth2,
  OAuth2PasswordBearer,
  SchemeGuard,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type SecuritySchemesModuleOptions,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { createTestApp, PLATFORMS, type Platform } from '../utils/platforms';
import { routeController } from '../utils/routes';

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const password = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: { read: 'Read', write: 'Write' } });
const openPassword = new OAuth2PasswordBearer({ tokenUrl: 'token', schemeName: 'OpenPassword' });
const noScopes = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: {}, schemeName: 'NoScopes' });
const oauth2 = new OAuth2({
  flows: { clientCredentials: { tokenUrl: '/token', scopes: { jobs: 'Run jobs' } }, implicit: { authorizationUrl: '/auth' } },
});
const unregistered = new HTTPBearer({ schemeName: 'Unregistered' });

@Controller('a')
class UnknownNameController {
  @Security('Missing')
  @Get()
  handler() {}
}

@Controller('b')
class UnknownInstanceController {
  @Security(unregistered)
  @Get()
  handler() {}
}

@Controller('c')
class UndeclaredScopeController {
  @Security(password, ['read'])
  @Get('ok')
  fine() {}

  @Security(password, ['read', 'admin'])
  @Get('admin')
  admin() {}
}

@Security(oauth2, ['jobs', 'deploy'])
@Controller('d')
class UndeclaredFlowScopeController {
  @Get()
  run() {}
}

@Controller('e')
class EmptyScopeMapController {
  @Security(noScopes, ['read'])
  @Get()
  read() {}
}

@Controller('f')
class AnyScopeController {
  @Security(openPassword, ['anything:at-all'])
  @Get()
  any() {}
}

@Controller('g')
class OtherInstanceController {
  @Security(new APIKeyHeader({ name: 'X-Other' }))
  @Get()
  handler() {}
}

@Controller('h')
class BadScopeTokenController {
  @Security(openPassword, ['two words'])
  @Get()
  handler() {}
}

@Controller('i')
class GuardedController {
  @UseGuards(SchemeGuard('Missing'))
  @Get()
  guarded() {}
}

@Controller('j')
class PlainController {
  @Get()
  plain() {}
}

@Controller('k')
class KeyScopesController {
  @Security(apiKey, ['read'])
  @Get()
  scoped() {}
}

@Injectable()
class KeyValidator implements SecurityValidator<string> {
  validate(key: string) {
    return { key };
  }
}

/** FastAPI's style, said explicitly: the handler checks the raw credentials. */
const HANDLER_VALIDATED = [apiKey, password, openPassword, noScopes, oauth2].map((scheme) => ({ scheme, validatedBy: 'handler' as const }));

describe.each(PLATFORMS)('configuration errors at start-up (%s)', (platform: Platform) => {
  const start = (controllers: Type[], options: Partial<SecuritySchemesModuleOptions> = {}, providers: Type[] = []) =>
    createTestApp(platform, {
      imports: [SecuritySchemesModule.forRoot({ schemes: HANDLER_VALIDATED, ...options })],
      providers,
      controllers,
    }).then((t) => t.close());

  it('refuses @Security with an unregistered scheme name', async () => {
    await expect(start([UnknownNameController])).rejects.toThrow(
      new Error(
        'UnknownNameController.handler requires security scheme "Missing", which is not registered. ' +
          'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).',
      ),
    );
  });

  it('refuses @Security with an unregistered scheme instance', async () => {
    await expect(start([UnknownInstanceController])).rejects.toThrow(
      new Error(
        'UnknownInstanceController.handler requires security scheme "Unregistered", which is not registered. ' +
          'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).',
      ),
    );
  });

  it('refuses a SchemeGuard with an unregistered scheme', async () => {
    await expect(start([GuardedController])).rejects.toThrow(
      'GuardedController.guarded requires security scheme "Missing", which is not registered.',
    );
  });

  it('refuses a module default with an unregistered scheme', async () => {
    await expect(start([PlainController], { defaultSecurity: ['Missing'] })).rejects.toThrow(
      new Error(
        'defaultSecurity requires security scheme "Missing", which is not registered. ' +
          'Register it in SecuritySchemesModule.forRoot({ schemes: [...] }).',
      ),
    );
  });

  it('refuses another instance under a registered scheme name', async () => {
    await expect(start([OtherInstanceController])).rejects.toThrow(
      new Error(
        'OtherInstanceController.handler requires APIKeyHeader({"type":"apiKey","in":"header","name":"X-Other"}), ' +
          'but the scheme registered as "APIKeyHeader" is another instance ' +
          '(APIKeyHeader({"type":"apiKey","in":"header","name":"X-API-Key"})). Use the registered instance or its name.',
      ),
    );
  });

  it('refuses two schemes sharing a scheme name, naming both', async () => {
    const clash = new APIKeyQuery({ name: 'key', schemeName: 'APIKeyHeader' });
    await expect(start([PlainController], { schemes: [apiKey, clash] })).rejects.toThrow(
      new Error(
        'SecuritySchemesModule: two different schemes share the scheme name "APIKeyHeader": ' +
          'APIKeyHeader({"type":"apiKey","in":"header","name":"X-API-Key"}) and ' +
          'APIKeyQuery({"type":"apiKey","in":"query","name":"key"}). Give each a distinct schemeName.',
      ),
    );
  });

  it('refuses a scope the OAuth2 scheme does not declare', async () => {
    await expect(start([UndeclaredScopeController])).rejects.toThrow(
      new Error(
        'UndeclaredScopeController.admin requires scope "admin" of scheme "OAuth2PasswordBearer", which declares only: read, write.',
      ),
    );
  });

  it('checks the scopes of every flow of a generic OAuth2 scheme, on controller requirements too', async () => {
    await expect(start([UndeclaredFlowScopeController])).rejects.toThrow(
      new Error('UndeclaredFlowScopeController.run requires scope "deploy" of scheme "OAuth2", which declares only: jobs.'),
    );
  });

  it('treats an empty scope map as declaring no scopes', async () => {
    await expect(start([EmptyScopeMapController])).rejects.toThrow(
      new Error('EmptyScopeMapController.read requires scope "read" of scheme "NoScopes", which declares only: (no scopes).'),
    );
  });

  it('refuses a module default whose scopes are not a list of strings', async () => {
    const scopes = 'read' as unknown as string[];
    await expect(start([PlainController], { defaultSecurity: [{ scheme: password, scopes }] })).rejects.toThrow(
      'defaultSecurity: scopes must be an array of strings.',
    );
  });

  it('refuses an empty AND requirement in the module defaults', async () => {
    await expect(start([PlainController], { defaultSecurity: [[]] })).rejects.toThrow(
      'defaultSecurity: an AND requirement needs at least one scheme.',
    );
  });

  it('refuses @SecurityAll given an array instead of one argument per scheme, saying how to write it', () => {
    const asArray = [{ scheme: apiKey }, { scheme: password }] as never;
    expect(() => SecurityAll(asArray)).toThrow(
      '@SecurityAll takes each scheme as its own argument: @SecurityAll({ scheme: a }, { scheme: b }), not an array.',
    );
  });

  it('refuses a module default scope the scheme does not declare', async () => {
    await expect(start([PlainController], { defaultSecurity: [{ scheme: password, scopes: ['root'] }] })).rejects.toThrow(
      new Error('PlainController.plain requires scope "root" of scheme "OAuth2PasswordBearer", which declares only: read, write.'),
    );
  });

  it('refuses a scope that is not an OAuth2 scope token', async () => {
    await expect(start([BadScopeTokenController])).rejects.toThrow(
      new Error('BadScopeTokenController.handler: scope "two words" of scheme "OpenPassword" is not a valid OAuth2 scope token.'),
    );
  });

  it('refuses a validator that is not a provider', async () => {
    await expect(start([PlainController], { schemes: [{ scheme: apiKey, validator: KeyValidator }] })).rejects.toThrow(
      new Error(
        'SecuritySchemesModule: the validator KeyValidator of scheme "APIKeyHeader" is not a provider. Add it to the providers of a module.',
      ),
    );
  });

  it('refuses a route whose levels combine into more than 32 alternatives, naming it', async () => {
    const six = (prefix: string) => ['1', '2', '3', '4', '5', '6'].map((n) => [{ scheme: openPassword, scopes: [prefix + n] }]);
    const many = routeController('many', 'ManyController', { controller: { alternatives: six('a') }, handler: { alternatives: six('b') } });
    await expect(start([many])).rejects.toThrow(
      new Error(
        'ManyController.handle: its security requirement combines into 36 alternatives, more than 32. Levels combine ' +
          'with AND, so alternatives at several levels multiply: declare fewer alternatives or use @SkipSecurity().',
      ),
    );
  });

  it('refuses a validator that is neither a provider class nor an object with validate()', async () => {
    await expect(start([PlainController], { schemes: [{ scheme: apiKey, validator: { check: () => true } as never }] })).rejects.toThrow(
      new Error(
        'SecuritySchemesModule: the validator of scheme "APIKeyHeader" must be a provider class or an object with a ' +
          'validate(credentials, securityScopes, context) method.',
      ),
    );
  });

  it('accepts a validator instance', async () => {
    await expect(
      start([KeyScopesController], { schemes: [{ scheme: apiKey, validator: { validate: (key: string) => ({ key, scopes: ['read'] }) } }] }),
    ).resolves.toBeUndefined();
  });

  it('accepts any scope of a scheme without a scope map', async () => {
    await expect(start([AnyScopeController], { schemes: [{ scheme: openPassword, validator: KeyValidator }] }, [KeyValidator])).resolves.toBeUndefined();
  });

  it('refuses a route that requires a scheme registered without a validator, naming the fix', async () => {
    await expect(start([KeyScopesController], { schemes: [apiKey] })).rejects.toThrow(
      new Error(
        'KeyScopesController.scoped requires scheme "APIKeyHeader", which has no validator: nothing would check its credentials, ' +
          'so any value would pass. Register it with one ({ scheme, validator }), or, if the handler checks the raw credentials ' +
          "itself, say so: { scheme, validatedBy: 'handler' }.",
      ),
    );
    // A scheme no route requires may stay bare (e.g. registered for the document only).
    await expect(start([PlainController], { schemes: [apiKey] })).resolves.toBeUndefined();
  });

  it('refuses a scheme with both a validator and validatedBy, and an unknown validatedBy', async () => {
    await expect(start([PlainController], { schemes: [{ scheme: apiKey, validator: new KeyValidator(), validatedBy: 'handler' }] })).rejects.toThrow(
      'SecuritySchemesModule: scheme "APIKeyHeader" has a validator and validatedBy: \'handler\'; give one',
    );
    await expect(
      start([PlainController], { schemes: [{ scheme: apiKey, validator: new KeyValidator() }, { scheme: apiKey, validatedBy: 'handler' }] }),
    ).rejects.toThrow('SecuritySchemesModule: scheme "APIKeyHeader" is registered both with a validator and with validatedBy: \'handler\'.');
    await expect(start([PlainController], { schemes: [{ scheme: apiKey, validatedBy: 'validator' as never }] })).rejects.toThrow(
      'SecuritySchemesModule: validatedBy of scheme "APIKeyHeader" can only be \'handler\', got "validator".',
    );
  });

  it('warns when a route requires scopes of a scheme without a validator', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await start([KeyScopesController]);
      expect(warn.mock.calls.map((call) => call[0])).toContain(
        'KeyScopesController.scoped requires scopes of scheme "APIKeyHeader", which has no validator: ' +
          'no principal can show granted scopes, so every request will be refused with 403.',
      );
    } finally {
      warn.mockRestore();
    }
  });
});
