import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { AuthService } from './auth.service.js';
import { oauth2Scheme } from './oauth2.schemes.js';
import type { TokenPrincipal } from './token-principal.js';

@ApiTags('auth')
@Controller('logout')
export class LogoutController {
  constructor(private readonly auth: AuthService) {}

  /** Revokes the access token presented and its session: every refresh token of its family, on every instance. */
  @Security(oauth2Scheme)
  @Post()
  @HttpCode(204)
  @ApiOperation({ summary: 'Log out: revoke this token and its session' })
  @ApiNoContentResponse({ description: 'Logged out: this token and its refresh tokens are refused from now on.' })
  @ApiServiceUnavailableResponse({ description: 'The session store is out of reach; see Retry-After' })
  async logout(@CurrentUser() principal: TokenPrincipal): Promise<void> {
    await this.auth.logout(principal.claims);
  }

  /** Revokes every token of the user, in every session, issued until now; a login afterwards works. */
  @Security(oauth2Scheme)
  @Post('all')
  @HttpCode(204)
  @ApiOperation({ summary: "Log out everywhere: revoke every token of the user" })
  @ApiNoContentResponse({ description: 'Logged out everywhere: every token of this user issued until now is refused.' })
  @ApiServiceUnavailableResponse({ description: 'The session store is out of reach; see Retry-After' })
  async logoutEverywhere(@CurrentUser() principal: TokenPrincipal): Promise<void> {
    await this.auth.logoutEverywhere(principal.user.username);
  }
}
