import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { User } from '../users/user.model.js';
import { passportBearerScheme } from './passport-bearer.scheme.js';

@ApiTags('passport')
@Controller('passport')
export class PassportController {
  /** The user of a token that the passport strategy accepted. */
  @Security(passportBearerScheme)
  @Get('me')
  @ApiOperation({ summary: 'The current user, token checked by a passport strategy' })
  @ApiOkResponse({ type: User })
  me(@CurrentUser() principal: TokenPrincipal): User {
    return principal.user;
  }
}
