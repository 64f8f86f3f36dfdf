import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'The user of the HTTP Basic credentials' })
  @ApiOkResponse({ type: BasicUserDto })
  me(@CurrentUser('username') username: string): BasicUserDto {
    return { username };
  }
}
