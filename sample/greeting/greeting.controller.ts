import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from '../auth/oauth2.schemes.js';
import type { TokenPrincipal } from '../auth/token-principal.js';

export class Greeting {
  @ApiProperty({ example: 'Hello, John Doe!' })
  message!: string;
}

@ApiTags('greeting')
@Controller('greeting')
export class GreetingController {
  /**
   * Optional auth with the same scheme as every other route (one Authorize entry in Swagger UI):
   * anonymous callers are welcome (user is null); a valid token gets a personal answer; a bad one, a 401.
   */
  @Security(oauth2Scheme, { optional: true })
  @Get()
  @ApiOperation({ summary: 'A greeting, personal with a token (optional)' })
  @ApiOkResponse({ type: Greeting })
  greet(@CurrentUser() principal: TokenPrincipal | null): Greeting {
    return { message: principal ? `Hello, ${principal.user.full_name}!` : 'Hello, anonymous visitor!' };
  }
}
