import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from '../auth/oauth2.schemes.js';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { User } from './user.model.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  /** Needs the `me` scope (and, as every route that identifies a user, an active user: RefuseInactiveUsers). */
  @Security(oauth2Scheme, ['me'])
  @Get('me')
  @ApiOperation({ summary: 'The current user (scope me)' })
  @ApiOkResponse({ type: User })
  me(@CurrentUser() principal: TokenPrincipal): User {
    return principal.user;
  }
}
