import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from '../auth/oauth2.schemes.js';

export class Status {
  @ApiProperty({ example: 'ok' })
  status!: string;
}

@ApiTags('status')
@Controller('status')
export class StatusController {
  /** Any valid token, whatever its scopes, even a disabled user's (as in the tutorial). */
  @Security(oauth2Scheme)
  @Get()
  @ApiOkResponse({ type: Status })
  status(): Status {
    return { status: 'ok' };
  }
}
