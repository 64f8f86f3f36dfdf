import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { optionalOAuth2Scheme } from '../auth/oauth2.schemes.js';
import type { TokenPrincipal } from '../auth/token-principal.js';

export class Greeting {
  @ApiProperty({ example: 'Hello, John Doe!' })
  message!: string;
}

@ApiTags('greeting')
@Controller('greeting')
export class GreetingController {
  /** Optional auth: anonymous callers are welcome (user is null); a valid token gets a personal answer. */
  @Security(optionalOAuth2Scheme)
  @Get()
  @ApiOkResponse({ type: Greeting })
  greet(@CurrentUser() principal: TokenPrincipal | null): Greeting {
    return { message: principal ? `Hello, ${principal.user.full_name}!` : 'Hello, anonymous visitor!' };
  }
}
