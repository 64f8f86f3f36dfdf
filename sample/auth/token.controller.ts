import { BadRequestException, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OAuth2PasswordForm, type OAuth2PasswordRequestForm } from 'nestjs-security-schemes';
import { AuthService } from './auth.service.js';
import { Token } from './token.dto.js';

@ApiTags('auth')
@Controller()
export class TokenController {
  constructor(private readonly auth: AuthService) {}

  /** The OAuth2 password flow's token endpoint: Swagger UI's Authorize dialog posts its form here. */
  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store') // RFC 6749 section 5.1: tokens must not be cached
  @Header('Pragma', 'no-cache')
  @ApiOkResponse({ type: Token })
  @ApiBadRequestResponse({ description: 'Incorrect username or password' })
  async login(@OAuth2PasswordForm() form: OAuth2PasswordRequestForm): Promise<Token> {
    const accessToken = await this.auth.login(form.username, form.password, form.scopes);
    if (!accessToken) throw new BadRequestException('Incorrect username or password');
    return { access_token: accessToken, token_type: 'bearer' };
  }
}
