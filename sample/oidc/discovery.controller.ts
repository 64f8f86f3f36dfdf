import { Controller, Get, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingHttpHeaders } from 'node:http';
import { SCOPES } from '../auth/oauth2.schemes.js';

/**
 * A minimal OpenID Connect discovery document, enough for Swagger UI's Authorize dialog to offer
 * the password flow of POST /token. Not a full OpenID provider (no ID tokens, no authorization endpoint).
 */
@ApiExcludeController()
@Controller('.well-known')
export class DiscoveryController {
  @Get('openid-configuration')
  configuration(@Req() request: { protocol: string; headers: IncomingHttpHeaders }) {
    // Express and Fastify requests both have `protocol`; the URLs must be absolute.
    const origin = `${request.protocol}://${request.headers.host ?? 'localhost'}`;
    return {
      issuer: origin,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: `${origin}/oidc/userinfo`,
      // POST /token also takes refresh_token, but Swagger UI turns every grant listed here into an entry of
      // its Authorize dialog, and a refresh grant is no way to log in: only the password grant is listed.
      grant_types_supported: ['password'],
      scopes_supported: Object.keys(SCOPES),
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['none'],
    };
  }
}
