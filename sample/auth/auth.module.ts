import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { UsersModule } from '../users/users.module.js';
import { AuthService } from './auth.service.js';
import { LOGIN_THROTTLE_LIMITS, loginThrottleLimitsFrom, loginThrottlerOptions, UsernameThrottle } from './login-throttle.js';
import { loadSigningKey, SIGNING_KEY } from './signing-key.js';
import { LogoutController } from './logout.controller.js';
import { TokenController } from './token.controller.js';
import { TokenService } from './token.service.js';
import { TokenValidator } from './token.validator.js';

@Module({
  imports: [
    UsersModule,
    // The per-client limit of POST /token (ThrottlerGuard on TokenController); the per-user-name one is UsernameThrottle.
    // Both count in one storage: Redis when REDIS_URL is set (shared by every instance), memory otherwise.
    ThrottlerModule.forRootAsync({ useFactory: () => loginThrottlerOptions(loginThrottleLimitsFrom(process.env)) }),
  ],
  providers: [
    { provide: SIGNING_KEY, useFactory: () => loadSigningKey() },
    { provide: LOGIN_THROTTLE_LIMITS, useFactory: () => loginThrottleLimitsFrom(process.env) },
    UsernameThrottle,
    TokenService,
    AuthService,
    TokenValidator,
  ],
  controllers: [TokenController, LogoutController],
  exports: [AuthService, TokenValidator],
})
export class AuthModule {}
