import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security, type JwtClaims } from 'nestjs-security-schemes';
import { idpLoginScheme, idpMachineScheme } from './idp.schemes.js';

/** Routes protected by tokens of the external identity provider, verified by JwtValidator through its JWKS. */
@ApiTags('external identity provider')
@Controller('idp')
export class IdpController {
  @Security(idpLoginScheme, ['read'])
  @Security(idpMachineScheme, ['read'])
  @Get('claims')
  @ApiOkResponse({ description: 'The verified claims of the access token.' })
  claims(@CurrentUser() claims: JwtClaims): JwtClaims {
    return claims;
  }

  @Security(idpLoginScheme, ['write'])
  @Security(idpMachineScheme, ['write'])
  @Get('write-check')
  @ApiOkResponse({ description: 'Only with the `write` scope; 403 insufficient_scope without it.' })
  writeCheck(@CurrentUser('sub') sub: string): { sub: string; canWrite: true } {
    return { sub, canWrite: true };
  }
}
