import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from 'nestjs-security-schemes';
import { ActiveUser } from '../auth/active-user.guard.js';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { User } from './user.model.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  /** Needs the `me` scope and an active user. */
  @ActiveUser()
  @Get('me')
  @ApiOkResponse({ type: User })
  me(@CurrentUser() principal: TokenPrincipal): User {
    return principal.user;
  }
}
