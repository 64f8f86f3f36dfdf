import { BadRequestException, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { OAuth2PasswordForm, type OAuth2PasswordRequestForm } from 'nestjs-security-schemes';
import { ClientGone } from '../common/client-gone.js';
import { AuthService } from './auth.service.js';
import { UsernameThrottle } from './login-throttle.js';
import { Token } from './token.dto.js';

@ApiTags('auth')
@Controller()
export class TokenController {
  constructor(
    private readonly auth: AuthService,
    private readonly usernameThrottle: UsernameThrottle,
  ) {}

  /** The OAuth2 password flow's token endpoint: Swagger UI's Authorize dialog posts its form here. */
  @Post('token')
  @UseGuards(ThrottlerGuard) // attempts per client (IP address)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // RFC 6749 section 5.1: tokens must not be cached
  @Header('Pragma', 'no-cache')
  @ApiOkResponse({ type: Token })
  @ApiBadRequestResponse({ description: 'Incorrect username or password' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this client or for this user name; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'Too many logins at once; see Retry-After' })
  async login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm, @ClientGone() clientGone: AbortSignal): Promise<Token> {
    await this.usernameThrottle.attempt(form.username); // attempts per user name, before any argon2 work
    // A login whose client hangs up while it waits in the argon2 line leaves the line: no verification for nobody.
    const accessToken = await this.auth.login(form.username, form.password, form.scopes, clientGone);
    if (!accessToken) throw new BadRequestException('Incorrect username or password');
    return { access_token: accessToken, token_type: 'bearer' };
  }
}
