import { BadRequestException, Controller, Header, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { OAuth2RefreshTokenRequestForm, OAuth2TokenForm, SkipSecurity, type OAuth2TokenRequestForm } from 'nestjs-security-schemes';
import { ClientGone } from '../common/client-gone.js';
import { AuthService } from './auth.service.js';
import { UsernameThrottle } from './login-throttle.js';
import { Token } from './token.dto.js';
import { ACCESS_TOKEN_EXPIRE_SECONDS, type TokenPair } from './token.service.js';

function tokenResponse({ accessToken, refreshToken }: TokenPair): Token {
  return { access_token: accessToken, token_type: 'bearer', expires_in: ACCESS_TOKEN_EXPIRE_SECONDS, refresh_token: refreshToken };
}

@ApiTags('auth')
@Controller()
export class TokenController {
  constructor(
    private readonly auth: AuthService,
    private readonly usernameThrottle: UsernameThrottle,
  ) {}

  /**
   * The token endpoint: the password grant (Swagger UI's Authorize dialog posts its form here) and the
   * refresh-token grant, which returns a new pair and retires the refresh token presented. A refresh sent
   * with an `Idempotency-Key` header can be retried with the same key (after a 503, a lost answer) once.
   */
  @Post('token')
  @SkipSecurity() // public on purpose: documented with `security: []`, and kept public under any defaultSecurity
  @UseGuards(ThrottlerGuard) // attempts per client (IP address)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // RFC 6749 section 5.1: tokens must not be cached
  @Header('Pragma', 'no-cache')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Refresh grant: a new random value per refresh (a UUID), sent again unchanged with its retries. A retry with ' +
      'the same key and form gets a pair once, even when the first attempt answered 503; without it, a second ' +
      'presentation of the refresh token is reuse.',
  })
  @ApiOperation({ summary: 'Get a token pair: log in (password grant) or refresh (refresh_token grant)' })
  @ApiOkResponse({ type: Token })
  @ApiBadRequestResponse({
    description:
      'Password grant: `Incorrect username or password`. Refresh grant: `error` is `invalid_grant` (invalid, expired, ' +
      'revoked or already used refresh token: reuse revokes its whole session; disabled user) or `invalid_scope`.',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this client or for this user name; see Retry-After' })
  @ApiServiceUnavailableResponse({ description: 'Too many logins at once, or the session store is out of reach; see Retry-After' })
  async token(
    @OAuth2TokenForm() form: OAuth2TokenRequestForm,
    @ClientGone() clientGone: AbortSignal,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<Token> {
    if (form instanceof OAuth2RefreshTokenRequestForm) return tokenResponse(await this.auth.refresh(form.refreshToken, form.scopes, idempotencyKey));
    await this.usernameThrottle.attempt(form.username); // attempts per user name, before any argon2 work
    // A login whose client hangs up while it waits in the argon2 line leaves the line: no verification for nobody.
    const pair = await this.auth.login(form.username, form.password, form.scopes, clientGone);
    if (!pair) throw new BadRequestException('Incorrect username or password');
    return tokenResponse(pair);
  }
}
