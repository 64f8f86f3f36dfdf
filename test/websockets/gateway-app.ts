import { Injectable, UseGuards } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  CurrentCredentials,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  SkipSecurity,
  type RefusalHook,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { TokenValidator, type TokenPrincipal } from '../utils/tokens';

export const httpBearer = new HTTPBearer();
export const optionalBearer = new HTTPBearer({ schemeName: 'optionalBearer', autoError: false });
export const headerKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'headerKey' });
export const queryKey = new APIKeyQuery({ name: 'api_key', schemeName: 'queryKey' });
export const cookieKey = new APIKeyCookie({ name: 'session', schemeName: 'cookieKey' });

/** API keys are valid when they start with `key-`. */
@Injectable()
export class KeyValidator {
  validate(key: string) {
    return key.startsWith('key-') ? { sub: key, scopes: [] as string[] } : null;
  }
}

const show = (user: { sub: string } | null, scopes: SecurityScopes, credentials?: unknown) => ({
  sub: user?.sub ?? null,
  required: [...scopes.scopes],
  ...(credentials !== undefined && { credentials }),
});

/** A gateway-level requirement: a client without a valid bearer token is refused at connect time. */
@Security(httpBearer)
@UseGuards(SecurityGuard) // Nest runs no global guard on gateways
@WebSocketGateway({ path: '/secure' })
export class SecureGateway implements OnGatewayConnection {
  /** Sub of each connection the gateway's own handleConnection saw (it runs only after the check). */
  readonly connected: string[] = [];

  handleConnection(_client: unknown, request: { headers: Record<string, string> }) {
    this.connected.push(request.headers.authorization ?? '(none)');
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes) {
    return { event: 'whoami', data: show(user, scopes) };
  }

  @Security(httpBearer, ['chat:write'])
  @SubscribeMessage('post')
  post(@MessageBody() text: string, @CurrentUser('sub') sub: string) {
    return { event: 'posted', data: `${sub}: ${text}` };
  }

  @SkipSecurity()
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: 'pong' };
  }
}

/** A gateway-level scope: a valid token without it is refused at connect time with 4403. */
@Security(httpBearer, ['chat'])
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/scoped' })
export class ScopedGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes) {
    return { event: 'whoami', data: show(user, scopes) };
  }
}

/** No gateway-level requirement: anyone connects, each handler checks its own. */
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/open' })
export class OpenGateway {
  @SubscribeMessage('public')
  open() {
    return { event: 'public', data: 'hello' };
  }

  @Security(httpBearer, ['chat:read'])
  @SubscribeMessage('read')
  read(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes) {
    return { event: 'read', data: show(user, scopes) };
  }

  @Security(queryKey)
  @SubscribeMessage('query-key')
  byQuery(@CurrentUser() user: { sub: string }, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() key: string) {
    return { event: 'query-key', data: show(user, scopes, key) };
  }

  @Security(cookieKey)
  @SubscribeMessage('cookie-key')
  byCookie(@CurrentUser() user: { sub: string }, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() key: string) {
    return { event: 'cookie-key', data: show(user, scopes, key) };
  }

  @Security(optionalBearer)
  @SubscribeMessage('maybe')
  maybe(@CurrentUser() user: TokenPrincipal | null, @CurrentScopes() scopes: SecurityScopes) {
    return { event: 'maybe', data: show(user, scopes) };
  }

  @Security(httpBearer, ['admin'])
  @Security(headerKey)
  @SubscribeMessage('admin-or-key')
  adminOrKey(@CurrentUser() user: { sub: string }, @CurrentScopes() scopes: SecurityScopes) {
    return { event: 'admin-or-key', data: show(user, scopes) };
  }
}

export function gatewayModules(onRefusal?: RefusalHook) {
  return [
    SecuritySchemesModule.forRoot({
      schemes: [
        { scheme: httpBearer, validator: TokenValidator },
        { scheme: optionalBearer, validator: TokenValidator },
        { scheme: headerKey, validator: KeyValidator },
        { scheme: queryKey, validator: KeyValidator },
        { scheme: cookieKey, validator: KeyValidator },
      ],
      onRefusal,
    }),
  ];
}

export const GATEWAY_PROVIDERS = [TokenValidator, KeyValidator, SecureGateway, ScopedGateway, OpenGateway];
