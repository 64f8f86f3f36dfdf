import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from '../auth/oauth2.schemes.js';
import { TokenPrincipal } from '../auth/token-principal.js';
import { apiKeyScheme } from './api-key.scheme.js';
import type { ServicePrincipal } from './api-key.validator.js';

export class Report {
  @ApiProperty({ example: 'johndoe' })
  caller!: string;

  @ApiProperty({ enum: ['user', 'service'] })
  kind!: 'user' | 'service';
}

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  /** Two alternatives: a service's X-API-Key, or a user's bearer token. Either one is enough. */
  @Security(apiKeyScheme)
  @Security(oauth2Scheme)
  @Get()
  @ApiOperation({ summary: "A report for a service's API key or a user's token" })
  @ApiOkResponse({ type: Report })
  report(@CurrentUser() caller: ServicePrincipal | TokenPrincipal): Report {
    return caller instanceof TokenPrincipal
      ? { caller: caller.user.username, kind: 'user' }
      : { caller: caller.service, kind: 'service' };
  }
}
