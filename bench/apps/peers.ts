import {
  Controller,
  createParamDecorator,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { itemsOf, USERNAME, type User } from '../fixtures';
import { ApiKeyValidator } from './api-key';
import { BasicValidator } from './basic';
import { JwtValidator } from './jwt-scopes';
import { SessionValidator } from './or3';

// The hand-written peers of scenarios 2-5: the same validators, called from a minimal CanActivate guard
// written without the library, as a team would write it by hand. Same route, same body, same answers
// (401 without valid credentials, 403 without the scopes). The library's goal is to cost no more than these.

interface PeerRequest {
  headers: IncomingHttpHeaders;
  user?: User;
}

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<PeerRequest>();
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** `Authorization: <scheme> <credentials>`: the credentials when the scheme matches (case-insensitive), else undefined. */
function credentialsOf(headers: IncomingHttpHeaders, scheme: string): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== scheme) return undefined;
  return header.slice(space + 1).trim() || undefined;
}

function basicCredentials(headers: IncomingHttpHeaders): { username: string; password: string } | undefined {
  const encoded = credentialsOf(headers, 'basic');
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The first `name=value` cookie of that name, as is. */
function cookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}

const userOrRefuse = (user: User | null | undefined): User => {
  if (!user) throw new UnauthorizedException('Not authenticated');
  return user;
};

@Injectable()
class ApiKeyPeerGuard implements CanActivate {
  constructor(private readonly validator: ApiKeyValidator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const key = first(request.headers['x-api-key']);
    request.user = userOrRefuse(key ? this.validator.validate(key) : null);
    return true;
  }
}

@Injectable()
class BasicPeerGuard implements CanActivate {
  constructor(private readonly validator: BasicValidator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const credentials = basicCredentials(request.headers);
    request.user = userOrRefuse(credentials ? this.validator.validate(credentials) : null);
    return true;
  }
}

const REQUIRED_SCOPES = ['me', 'items'];

@Injectable()
class JwtPeerGuard implements CanActivate {
  constructor(private readonly validator: JwtValidator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const token = credentialsOf(request.headers, 'bearer');
    const user = userOrRefuse(token ? this.validator.validate(token) : null);
    if (!REQUIRED_SCOPES.every((scope) => user.scopes.includes(scope))) throw new ForbiddenException('Not enough permissions');
    request.user = user;
    return true;
  }
}

/** Scenario 5's alternatives in the same order: Basic, the session cookie, the API key; the first that validates wins. */
@Injectable()
class Or3PeerGuard implements CanActivate {
  constructor(
    private readonly basic: BasicValidator,
    private readonly session: SessionValidator,
    private readonly apiKey: ApiKeyValidator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const credentials = basicCredentials(request.headers);
    const sessionId = cookie(request.headers, 'session');
    const key = first(request.headers['x-api-key']);
    request.user = userOrRefuse(
      (credentials ? this.basic.validate(credentials) : null) ??
        (sessionId ? this.session.validate(sessionId) : null) ??
        (key ? this.apiKey.validate(key) : null),
    );
    return true;
  }
}

/** `request.user`, as the library's `@CurrentUser()` gives it. */
const PeerUser = createParamDecorator((_data: unknown, context: ExecutionContext) => requestOf(context).user);

@Controller('users')
@UseGuards(ApiKeyPeerGuard)
class ApiKeyPeerController {
  @Get('me/items/')
  items() {
    return itemsOf(USERNAME);
  }
}

@Controller('users')
@UseGuards(BasicPeerGuard)
class BasicPeerController {
  @Get('me/items/')
  items() {
    return itemsOf(USERNAME);
  }
}

@Controller('users')
@UseGuards(JwtPeerGuard)
class JwtPeerController {
  @Get('me/items/')
  items(@PeerUser() user: User) {
    return itemsOf(user.username);
  }
}

@Controller('users')
@UseGuards(Or3PeerGuard)
class Or3PeerController {
  @Get('me/items/')
  items() {
    return itemsOf(USERNAME);
  }
}

@Module({ providers: [ApiKeyValidator, ApiKeyPeerGuard], controllers: [ApiKeyPeerController] })
export class ApiKeyPeerModule {}

@Module({ providers: [BasicValidator, BasicPeerGuard], controllers: [BasicPeerController] })
export class BasicPeerModule {}

@Module({ providers: [JwtValidator, JwtPeerGuard], controllers: [JwtPeerController] })
export class JwtPeerModule {}

@Module({ providers: [BasicValidator, SessionValidator, ApiKeyValidator, Or3PeerGuard], controllers: [Or3PeerController] })
export class Or3PeerModule {}
