import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Security } from 'nestjs-security-schemes';
import { AllowInactiveUser } from '../auth/inactive-users.js';
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
  @AllowInactiveUser()
  @ApiOperation({
    summary: 'Check a token, whatever its scopes',
    description:
      "Any valid token, whatever its scopes, even a disabled user's: the tutorial's `get_current_user`. " +
      'Every other route that identifies a user answers `400 Inactive user` to a disabled user.',
  })
  @Get()
  @ApiOkResponse({ type: Status })
  status(): Status {
    return { status: 'ok' };
  }
}
