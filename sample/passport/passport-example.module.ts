import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { BearerStrategy } from './bearer.strategy.js';
import { BearerPassportValidator } from './passport-bearer.validator.js';
import { PassportController } from './passport.controller.js';

@Module({
  imports: [AuthModule],
  providers: [BearerStrategy, BearerPassportValidator],
  controllers: [PassportController],
})
export class PassportExampleModule {}
