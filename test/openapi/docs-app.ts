import { Controller, Get, Param, Post, UseGuards, type ModuleMetadata } from '@nestjs/common';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  CurrentUser,
  OAuth2PasswordBearer,
  SchemeGuard,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  SkipSecurity,
} from 'nestjs-security-schemes';
import { bearer, token, TokenValidator } from '../utils/tokens';
import type { CredentialsSource } from './agreement';

// One app with every requirement form, shared by the document and agreement suites.

export const apiKey = new APIKeyHeader({ name: 'X-API-Key', description: 'Service key' });
export const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: '/auth/token',
  scopes: { read: 'Read', write: 'Write' },
});
export const session = new APIKeyCookie({ name: 'session', schemeName: 'Session', autoError: false });
export const queryKey = new APIKeyQuery({ name: 'key' });

@Security(oauth2, ['read'])
@Controller('docs')
export class DocsController {
  @Get('inherited')
  inherited(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(oauth2, ['write'])
  @Get('scopes')
  scopes(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(oauth2, ['write'])
  @Security(queryKey)
  @Get('either')
  either(@CurrentUser() user: unknown) {
    return { user };
  }

  @SecurityAll({ scheme: apiKey }, { scheme: oauth2, scopes: ['write'] })
  @Get('and')
  and(@CurrentUser() user: unknown) {
    return { user };
  }

  @SkipSecurity()
  @Get('public')
  public() {
    return { public: true };
  }

  @SkipSecurity()
  @Security(session)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }

  @SkipSecurity()
  @UseGuards(SchemeGuard(queryKey))
  @Get('guarded')
  guarded(@CurrentUser() user: unknown) {
    return { user };
  }

  @Post('items/:id')
  create(@Param('id') id: string, @CurrentUser() user: unknown) {
    return { id, user };
  }
}

@SkipSecurity()
@Controller('open')
export class OpenController {
  @Get()
  open() {
    return { open: true };
  }
}

export const docsAppMetadata: ModuleMetadata = {
  imports: [
    SecuritySchemesModule.forRoot({
      schemes: [
        { scheme: apiKey, validator: TokenValidator },
        { scheme: oauth2, validator: TokenValidator },
        { scheme: session, validator: TokenValidator },
        { scheme: queryKey, validator: TokenValidator },
      ],
      defaultSecurity: [apiKey],
    }),
  ],
  providers: [TokenValidator],
  controllers: [DocsController, OpenController],
};

/** Valid credentials for each scheme of the docs app. */
export const docsAppCredentials: Record<string, CredentialsSource> = {
  APIKeyHeader: { headers: { 'X-API-Key': token('svc') } },
  OAuth2PasswordBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
  Session: { cookies: { session: 's1' } },
  APIKeyQuery: { query: { key: 'q1' } },
};

/** `isAnonymous` for the docs app: its handlers return `{ user }`. */
export const anonymousUser = (response: { body: { user?: unknown } }) => response.body.user === null;
