import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { SecurityGuard, SecuritySchemesModule } from 'nestjs-security-schemes';
import { ApiKeyModule } from './api-key/api-key.module.js';
import { apiKeyScheme } from './api-key/api-key.scheme.js';
import { ApiKeyValidator } from './api-key/api-key.validator.js';
import { AppController } from './app.controller.js';
import { AuthModule } from './auth/auth.module.js';
import { RefuseInactiveUsers } from './auth/inactive-users.js';
import { revocationStoreFrom } from './auth/revocation-store.js';
import { oauth2Scheme } from './auth/oauth2.schemes.js';
import { TokenValidator } from './auth/token.validator.js';
import { BasicModule } from './basic/basic.module.js';
import { basicScheme } from './basic/basic.scheme.js';
import { BasicValidator } from './basic/basic.validator.js';
import { RetryAfterFilter } from './common/retry-after.filter.js';
import { GreetingModule } from './greeting/greeting.module.js';
import { IdpModule } from './idp/idp.module.js';
import { idpSchemes } from './idp/idp.schemes.js';
import { ItemsModule } from './items/items.module.js';
import { OidcModule } from './oidc/oidc.module.js';
import { openIdConnectScheme } from './oidc/open-id-connect.scheme.js';
import { OpenIdConnectValidator } from './oidc/open-id-connect.validator.js';
import { PassportExampleModule } from './passport/passport-example.module.js';
import { passportBearerScheme } from './passport/passport-bearer.scheme.js';
import { BearerPassportValidator } from './passport/passport-bearer.validator.js';
import { StatusModule } from './status/status.module.js';
import { UsersModule } from './users/users.module.js';

/** Made once: one JwtValidator (and its key cache) for the provider's schemes. */
const IDP_SCHEMES = idpSchemes();

@Module({
  imports: [
    // Every scheme of the application with its validator (a provider of one of the feature modules).
    // The order is the order of Swagger UI's Authorize dialog. A factory, so that each application started
    // gets a revocation store of its own, made when it starts. `globalGuard: false`: the sample registers
    // SecurityGuard itself below, so that its own guard for disabled users runs right after it.
    SecuritySchemesModule.forRootAsync({
      globalGuard: false,
      useFactory: () => ({
        schemes: [
          { scheme: oauth2Scheme, validator: TokenValidator },
          { scheme: basicScheme, validator: BasicValidator },
          { scheme: apiKeyScheme, validator: ApiKeyValidator },
          { scheme: passportBearerScheme, validator: BearerPassportValidator },
          { scheme: openIdConnectScheme, validator: OpenIdConnectValidator },
          ...IDP_SCHEMES, // an external identity provider, when IDP_ISSUER is set (sample/idp)
        ],
        // Revoked tokens (logout) and used refresh tokens: Redis when REDIS_URL is set, memory otherwise.
        revocation: revocationStoreFrom(),
      }),
    }),
    UsersModule,
    AuthModule,
    ItemsModule,
    StatusModule,
    BasicModule,
    ApiKeyModule,
    GreetingModule,
    PassportExampleModule,
    OidcModule,
    IdpModule,
  ],
  controllers: [AppController],
  providers: [
    // 429 and 503 with Retry-After (login throttling and the argon2 line).
    { provide: APP_FILTER, useClass: RetryAfterFilter },
    // Global guards run in the order they are listed: the security schemes first, then the disabled-user check,
    // which reads the principal SecurityGuard set: a disabled user gets 400 Inactive user on every route that
    // identifies a user, /status excepted.
    { provide: APP_GUARD, useExisting: SecurityGuard },
    { provide: APP_GUARD, useClass: RefuseInactiveUsers },
  ],
})
export class AppModule {}
