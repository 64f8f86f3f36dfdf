import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { AuthService } from './auth.service.js';
import { loadSigningKey, SIGNING_KEY } from './signing-key.js';
import { TokenController } from './token.controller.js';
import { TokenService } from './token.service.js';
import { TokenValidator } from './token.validator.js';

@Module({
  imports: [UsersModule],
  providers: [{ provide: SIGNING_KEY, useFactory: () => loadSigningKey() }, TokenService, AuthService, TokenValidator],
  controllers: [TokenController],
  exports: [AuthService, TokenValidator],
})
export class AuthModule {}
