import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  providers: [PasswordHasher, UsersService],
  controllers: [UsersController],
  exports: [UsersService],
})
export class UsersModule {}
