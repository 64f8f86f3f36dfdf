import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security, type JwtClaims } from 'nestjs-security-schemes';
import { idpLoginScheme, idpMachineScheme } from './idp.schemes.js';

/** Routes protected by tokens of the external identity provider, verified by JwtValidator through its JWKS. */
@ApiTags('external identity provider')
@Controller('idp')
export class IdpController {
  @Security(idpLoginScheme, ['read'])
  @Security(idpMachineScheme, ['read'])
  @Get('claims')
  @ApiOperation({ summary: "The external provider's token claims (scope read)" })
  @ApiOkResponse({ description: 'The verified claims of the access token.' })
  claims(@CurrentUser() claims: JwtClaims): JwtClaims {
    return claims;
  }

  @Security(idpLoginScheme, ['write'])
  @Security(idpMachineScheme, ['write'])
  @Get('write-check')
  @ApiOperation({ summary: 'Check the write scope of an external provider token' })
  @ApiOkResponse({ description: 'Only with the `write` scope; 403 insufficient_scope without it.' })
  writeCheck(@CurrentUser('sub') sub: string): { sub: string; canWrite: true } {
    return { sub, canWrite: true };
  }
}
