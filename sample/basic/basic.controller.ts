import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { basicScheme } from './basic.scheme.js';

export class BasicUserDto {
  @ApiProperty({ example: 'stanleyjobson' })
  username!: string;
}

@ApiTags('basic')
@Controller('basic/users')
export class BasicController {
  @Security(basicScheme)
  @Get('me')
  @ApiOkResponse({ type: BasicUserDto })
  me(@CurrentUser('username') username: string): BasicUserDto {
    return { username };
  }
}
