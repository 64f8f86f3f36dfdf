import { Module } from '@nestjs/common';
import { LOGIN_LIMITS, loginLimitsFrom } from './login-limits.js';
import { PasswordHasher } from './password-hasher.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  providers: [
    { provide: LOGIN_LIMITS, useFactory: () => loginLimitsFrom(process.env) },
    PasswordHasher,
    UsersService,
  ],
  controllers: [UsersController],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
