import { Injectable } from '@nestjs/common';
import { UsersService } from '../users/users.service.js';
import { TokenPrincipal } from './token-principal.js';
import { TokenService } from './token.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  /**
   * An access token for a correct user name and password, or null. The token grants the requested
   * scopes the user may have, and no others (FastAPI's tutorial grants whatever the form asks for).
   */
  async login(username: string, password: string, requestedScopes: readonly string[], signal?: AbortSignal): Promise<string | null> {
    const user = await this.users.authenticate(username, password, signal);
    if (!user) return null;
    const granted = user.allowedScopes.filter((scope) => requestedScopes.includes(scope));
    return this.tokens.issue(user.profile.username, granted);
  }

  /** The principal of a valid token whose user still exists, or null. */
  principalFor(token: string): TokenPrincipal | null {
    const claims = this.tokens.verify(token);
    const user = claims && this.users.find(claims.username);
    return user ? new TokenPrincipal(user.profile, claims.scopes) : null;
  }
}
