import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type ModuleMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOAuth2,
  ApiOperation,
  ApiSecurity,
  ApiUnauthorizedResponse,
  DocumentBuilder,
  type OpenAPIObject,
  type SwaggerDocumentOptions,
  SwaggerModule,
} from '@nestjs/swagger';
import {
  APIKeyCookie,
  APIKeyHeader,
  applySecurityToDocument,
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  SkipSecurity,
} from 'nestjs-security-schemes';
import { bearer, token, TokenValidator } from '../utils/tokens';
import type { CredentialsSource } from './agreement';

// A "real" app: @nestjs/swagger's own decorators next to the library's, several modules (for
// `include`), custom operationIds, a versioned controller, several paths on one handler, and routes
// the library does not govern, secured by the app's own guard and documented by hand.

export const oauth2 = new OAuth2PasswordBearer({ tokenUrl: '/token', scopes: { read: 'Read', write: 'Write' } });
export const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
export const session = new APIKeyCookie({ name: 'session', schemeName: 'Session', autoError: false });

/** The app's own guard for the routes it secures without the library: `Bearer legacy` or `X-Legacy-Key: legacy`. */
@Injectable()
export class LegacyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers.authorization === 'Bearer legacy' || request.headers['x-legacy-key'] === 'legacy') return true;
    const response = context.switchToHttp().getResponse<{ header(name: string, value: string): void }>();
    response.header('WWW-Authenticate', 'Bearer');
    throw new UnauthorizedException();
  }
}

@Security(oauth2, ['read'])
@Controller({ path: 'reports', version: '1' })
export class ReportsController {
  @ApiOperation({ operationId: 'listReports', summary: 'List the reports' })
  @Get()
  list(@CurrentUser() user: unknown) {
    return { user };
  }

  @Get(['latest', 'newest'])
  latest(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(oauth2, ['write'])
  @HttpCode(200)
  @Post()
  create(@CurrentUser() user: unknown) {
    return { user };
  }

  @ApiUnauthorizedResponse({ description: 'Token missing or expired' })
  @Get('custom-401')
  custom401(@CurrentUser() user: unknown) {
    return { user };
  }

  @ApiBearerAuth()
  @Get('hand-written')
  handWritten(@CurrentUser() user: unknown) {
    return { user };
  }

  @SkipSecurity()
  @Security(session)
  @Get('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }

  @ApiOperation({ security: [] })
  @SkipSecurity()
  @Get('public')
  public() {
    return { public: true };
  }
}

@ApiSecurity('legacy-key')
@ApiUnauthorizedResponse({ description: 'Admin key missing' })
@Controller('admin')
export class AdminController {
  @Security(apiKey)
  @Get()
  dashboard(@CurrentUser() user: unknown) {
    return { user };
  }

  @UseGuards(LegacyGuard)
  @Get('legacy')
  legacy() {
    return { legacy: true };
  }
}

@UseGuards(LegacyGuard)
@Controller('legacy')
export class LegacyController {
  @ApiBearerAuth()
  @Get('bearer')
  bearerAuth() {
    return { legacy: true };
  }

  @ApiSecurity('legacy-key')
  @ApiOperation({ operationId: 'legacyKey' })
  @Get('key')
  key() {
    return { legacy: true };
  }

  @ApiOAuth2(['read'], 'legacy-oauth')
  @Get('oauth')
  oauth() {
    return { legacy: true };
  }

  /** No Swagger security of its own: the document's top-level requirement applies. */
  @Get('top-level')
  topLevel() {
    return { legacy: true };
  }
}

@Module({ controllers: [ReportsController], providers: [TokenValidator] })
export class ReportsModule {}

@Module({ controllers: [AdminController], providers: [TokenValidator] })
export class AdminModule {}

@Module({ controllers: [LegacyController] })
export class LegacyModule {}

export const swaggerAppMetadata: ModuleMetadata = {
  imports: [
    SecuritySchemesModule.forRoot({
      schemes: [
        { scheme: oauth2, validator: TokenValidator },
        { scheme: apiKey, validator: TokenValidator },
        { scheme: session, validator: TokenValidator },
      ],
    }),
    ReportsModule,
    AdminModule,
    LegacyModule,
  ],
  providers: [TokenValidator],
};

/** The app's own schemes, declared with the DocumentBuilder, and its top-level requirement. */
export function swaggerAppConfig(): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle('swagger app')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Legacy-Key' }, 'legacy-key')
    .addOAuth2({ type: 'oauth2', flows: { implicit: { authorizationUrl: '/legacy/authorize', scopes: { read: 'Read' } } } }, 'legacy-oauth')
    .addSecurityRequirements('bearer')
    .build();
}

/** `SwaggerModule.createDocument` then `applySecurityToDocument`, as the README shows. */
export function swaggerAppDocument(app: Parameters<typeof SwaggerModule.createDocument>[0], options?: SwaggerDocumentOptions): OpenAPIObject {
  return applySecurityToDocument(app, SwaggerModule.createDocument(app, swaggerAppConfig(), options));
}

export const swaggerAppCredentials: Record<string, CredentialsSource> = {
  OAuth2PasswordBearer: (scopes) => ({ headers: bearer('ann', scopes) }),
  APIKeyHeader: { headers: { 'X-API-Key': token('svc') } },
  Session: { cookies: { session: 's1' } },
  bearer: { headers: { Authorization: 'Bearer legacy' } },
  'legacy-key': { headers: { 'X-Legacy-Key': 'legacy' } },
  'legacy-oauth': { headers: { Authorization: 'Bearer legacy' } },
};
