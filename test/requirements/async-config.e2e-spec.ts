import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Injectable, type ModuleMetadata } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  APIKeyHeader,
  CurrentScopes,
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  SkipSecurity,
  type SecurityScopes,
  type SecuritySchemesModuleOptions,
  type SecuritySchemesOptionsFactory,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { expectAgreement } from '../openapi/agreement';
import { forbidden, ok, outcome, unauthorized } from '../utils/auth';
import { buildDocument } from '../utils/openapi';
import { createTestApp, PLATFORMS, type Platform, type TestApp } from '../utils/platforms';
import { bearer, TokenValidator } from '../utils/tokens';

/** What a deployment would put in its environment. */
const settings = () => ({
  KEY_HEADER: 'X-Service-Key',
  SERVICE_KEY: 'k-9f2c',
  TOKEN_URL: '/auth/token',
  REPORT_SCOPE: 'reports:read',
});

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares the key with the configured one in constant time. */
@Injectable()
class ServiceKeyValidator implements SecurityValidator<string> {
  private readonly expected: Buffer;
  constructor(config: ConfigService) {
    this.expected = digest(config.getOrThrow<string>('SERVICE_KEY'));
  }
  validate(key: string) {
    return timingSafeEqual(digest(key), this.expected) ? { service: 'reporting' } : null;
  }
}

/** Builds the schemes from configuration. */
function securityOptions(config: ConfigService): SecuritySchemesModuleOptions {
  const serviceKey = new APIKeyHeader({ name: config.getOrThrow('KEY_HEADER'), schemeName: 'ServiceKey' });
  const scope = config.getOrThrow<string>('REPORT_SCOPE');
  const password = new OAuth2PasswordBearer({ tokenUrl: config.getOrThrow('TOKEN_URL'), scopes: { [scope]: 'Read reports' } });
  return {
    schemes: [
      { scheme: serviceKey, validator: ServiceKeyValidator },
      { scheme: password, validator: TokenValidator },
    ],
    defaultSecurity: ['ServiceKey', { scheme: 'OAuth2PasswordBearer', scopes: [scope] }],
  };
}

@Injectable()
class SecurityConfig implements SecuritySchemesOptionsFactory {
  constructor(private readonly config: ConfigService) {}
  createSecurityOptions() {
    return securityOptions(this.config);
  }
}

@Controller('reports')
class ReportsController {
  @Get()
  reports(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes) {
    return { user, scopes: scopes.scopes };
  }

  @SkipSecurity()
  @Get('health')
  health() {
    return { up: true };
  }
}

const configModule = ConfigModule.forRoot({ ignoreEnvFile: true, load: [settings] });

const VARIANTS: [string, ModuleMetadata['imports']][] = [
  [
    'useFactory with inject',
    [SecuritySchemesModule.forRootAsync({ imports: [configModule], inject: [ConfigService], useFactory: securityOptions })],
  ],
  ['useClass', [SecuritySchemesModule.forRootAsync({ imports: [configModule], useClass: SecurityConfig })]],
];

describe.each(PLATFORMS)('forRootAsync with ConfigService (%s)', (platform: Platform) => {
  describe.each(VARIANTS)('%s', (_variant, imports) => {
    let t: TestApp;
    const get = (path: string, headers: Record<string, string> = {}) => t.http.get(path).set(headers).then(outcome);

    beforeAll(async () => {
      t = await createTestApp(platform, {
        imports: [configModule, ...(imports ?? [])],
        providers: [ServiceKeyValidator, TokenValidator],
        controllers: [ReportsController],
      });
    });
    afterAll(() => t.close());

    it('uses the configured header name and key', async () => {
      expect(await get('/reports', { 'X-Service-Key': 'k-9f2c' })).toEqual(ok({ user: { service: 'reporting' }, scopes: [] }));
      expect(await get('/reports', { 'X-Service-Key': 'k-0000' })).toEqual(unauthorized('APIKey'));
    });

    it('uses the configured default requirement and scope', async () => {
      expect(await get('/reports', bearer('ann', ['reports:read']))).toEqual(
        ok({ user: { sub: 'ann', scopes: ['reports:read'], required: ['reports:read'] }, scopes: ['reports:read'] }),
      );
      expect(await get('/reports', bearer('ann'))).toEqual(forbidden('reports:read'));
      expect(await get('/reports')).toEqual(unauthorized('APIKey, Bearer'));
      expect(await get('/reports/health')).toEqual(ok({ up: true }));
    });

    it('documents the configured schemes', () => {
      expect(buildDocument(t.app).components?.securitySchemes).toStrictEqual({
        ServiceKey: { type: 'apiKey', in: 'header', name: 'X-Service-Key' },
        OAuth2PasswordBearer: {
          type: 'oauth2',
          flows: { password: { tokenUrl: '/auth/token', scopes: { 'reports:read': 'Read reports' } } },
        },
      });
    });

    it('enforces what it documents', async () => {
      await expectAgreement(t, {
        credentials: {
          ServiceKey: { headers: { 'X-Service-Key': 'k-9f2c' } },
          OAuth2PasswordBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
        },
      });
    });
  });
});
