import { Body, Controller, Delete, Get, Patch, Post, Put, type ModuleMetadata } from '@nestjs/common';
import {
  APIKeyCookie,
  CurrentUser,
  HTTPBearer,
  readCookie,
  Security,
  SecurityAll,
  SecurityScheme,
  SecuritySchemesModule,
  SkipCrossSiteCheck,
  type CrossSiteOptions,
  type HTTPAuthorizationCredentials,
  type ResponseHeaders,
  type SecurityRefusal,
  type SecurityRequest,
  type SecuritySchemeObject,
  type SecurityValidator,
} from 'nestjs-security-schemes';

// An application whose routes can be met by cookie credentials (APIKeyCookie, and a scheme of its own
// registered with credentialsFromCookie: true), by a bearer token, or by both.

/** The session cookie: `session=s1` is ann's session. */
export const session = new APIKeyCookie({ name: 'session', schemeName: 'Session' });
export const optionalSession = new APIKeyCookie({ name: 'session', schemeName: 'OptionalSession', autoError: false });
export const bearer = new HTTPBearer({ schemeName: 'Bearer' });

/** An application's own scheme that reads the `sid` cookie itself: not an APIKeyCookie. */
export class SidCookie extends SecurityScheme<string> {
  constructor() {
    super({ schemeName: 'Sid' });
  }
  extract(request: SecurityRequest): string | null {
    const header = request.headers.cookie;
    return (typeof header === 'string' && readCookie(header, 'sid')) || null;
  }
  makeAuthenticateHeaders(): ResponseHeaders {
    return { 'WWW-Authenticate': 'Cookie' };
  }
  toOpenAPI(): SecuritySchemeObject {
    return { type: 'apiKey', in: 'cookie', name: 'sid' };
  }
}
export const sid = new SidCookie();

/** How many times the validators ran: a request refused by the cross-site check never reaches them. */
export const validated = { session: 0, sid: 0, bearer: 0 };

export const sessionValidator: SecurityValidator<string> = {
  validate(key) {
    validated.session++;
    return key === 's1' ? { name: 'ann', via: 'session' } : null;
  },
};
export const sidValidator: SecurityValidator<string> = {
  validate(key) {
    validated.sid++;
    return key === 'x1' ? { name: 'ann', via: 'sid' } : null;
  },
};
export const bearerValidator: SecurityValidator<HTTPAuthorizationCredentials> = {
  validate({ credentials }) {
    validated.bearer++;
    return credentials === 't1' ? { name: 'bob', via: 'bearer' } : null;
  },
};

/** Notes written through the unsafe routes: a refused request writes none. */
export const notes: string[] = [];

@Security(session)
@Controller('notes')
export class NotesController {
  @Get()
  list(@CurrentUser() user: unknown) {
    return { user, notes };
  }

  @Post()
  create(@CurrentUser() user: unknown, @Body() body: { text?: string } | undefined) {
    notes.push(body?.text ?? '');
    return { user, created: body?.text ?? '' };
  }

  @Put(':id')
  replace(@CurrentUser() user: unknown) {
    return { user };
  }

  @Patch(':id')
  change(@CurrentUser() user: unknown) {
    return { user };
  }

  @Delete(':id')
  remove(@CurrentUser() user: unknown) {
    return { user };
  }

  /** For non-browser clients that send the cookie themselves. */
  @SkipCrossSiteCheck()
  @Post('import')
  import(@CurrentUser() user: unknown) {
    return { user };
  }
}

@Controller('mixed')
export class MixedController {
  /** Cookie OR bearer, the cookie tried first. */
  @Security(session)
  @Security(bearer)
  @Post('either')
  either(@CurrentUser() user: unknown) {
    return { user };
  }

  /** Cookie AND bearer. */
  @SecurityAll({ scheme: session }, { scheme: bearer })
  @Post('both')
  both(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(bearer)
  @Post('bearer')
  bearerOnly(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(optionalSession)
  @Post('optional')
  optional(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(sid)
  @Post('sid')
  sid(@CurrentUser() user: unknown) {
    return { user };
  }
}

/** Controller-level opt-out. */
@SkipCrossSiteCheck()
@Security(session)
@Controller('hooks')
export class HooksController {
  @Post()
  receive(@CurrentUser() user: unknown) {
    return { user };
  }
}

export const refusals: SecurityRefusal[] = [];

export function crossSiteApp(crossSite?: CrossSiteOptions | false, controllers: ModuleMetadata['controllers'] = []): ModuleMetadata {
  return {
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: [
          { scheme: session, validator: sessionValidator },
          { scheme: optionalSession, validator: sessionValidator },
          { scheme: bearer, validator: bearerValidator },
          { scheme: sid, validator: sidValidator, credentialsFromCookie: true },
        ],
        onRefusal: (refusal) => refusals.push(refusal),
        ...(crossSite !== undefined && { crossSite }),
      }),
    ],
    controllers: [NotesController, MixedController, HooksController, ...controllers],
  };
}
