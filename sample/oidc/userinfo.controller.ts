import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { openIdConnectScheme } from './open-id-connect.scheme.js';

/** Standard OpenID Connect claims of the user. */
export class UserInfo {
  @ApiProperty({ example: 'johndoe' })
  sub!: string;

  @ApiProperty({ example: 'John Doe' })
  name!: string;

  @ApiProperty({ example: 'johndoe@example.com' })
  email!: string;
}

@ApiTags('openid-connect')
@Controller('oidc')
export class UserInfoController {
  @Security(openIdConnectScheme, ['me'])
  @Get('userinfo')
  @ApiOperation({ summary: 'OpenID Connect user info (scope me)' })
  @ApiOkResponse({ type: UserInfo })
  userinfo(@CurrentUser() principal: TokenPrincipal): UserInfo {
    const { username, full_name, email } = principal.user;
    return { sub: username, name: full_name, email };
  }
}
