// What the fragments of the documentation take as given: a few names of an application of yours that a
// fragment uses without declaring them. test/docs/code-blocks.spec.ts type-checks every ```ts block of the
// README and docs/ against the built package, each block as a module of its own that sees these
// declarations (a block's own declaration of the same name wins). A block without any `import` also gets
// the imports of the names it uses from nestjs-security-schemes, @nestjs/common, @nestjs/core and
// @nestjs/swagger; a block with an `import` must import everything else it uses.
import type { INestApplication } from '@nestjs/common';
import type { APIKeyHeader, HTTPBearer, JwtValidator, OAuth2PasswordBearer } from 'nestjs-security-schemes';

declare global {
  /** Your user, as your validator returns it. */
  class User {
    id: number;
    name: string;
    email: string;
    permissions: string[];
  }

  /** The OAuth2 password scheme (`new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: {...} })`). */
  const oauth2: OAuth2PasswordBearer;
  /** An `HTTPBearer` scheme. */
  const bearer: HTTPBearer;
  /** An API key scheme (`new APIKeyHeader({ name: 'X-API-Key' })`). */
  const apiKey: APIKeyHeader;
  /** A configured `JwtValidator`. */
  const jwtValidator: JwtValidator;

  /** A service of yours that finds the licence behind an API key. */
  class LicenceService {
    findByKey(key: string): Promise<{ expired: boolean; owner: User } | undefined>;
  }

  /** Your root module. */
  class AppModule {}
  /** The application, as `NestFactory.create(AppModule)` made it. */
  const app: INestApplication;
  /** An access token. */
  const token: string;

  /** The claims of your tokens. */
  type TokenClaims = { sub: string; jti: string; sid: string; iat: number; exp: number; scope: string };
  /** Your services: users and passwords, tokens. */
  class UsersService {
    authenticate(username: string, password: string): Promise<User | null>;
    /** A user by id, from a cache: one object may serve every request of that user. */
    findCached(id: string): Promise<User | null>;
  }
  class TokenService {
    issue(user: User, scopes: readonly string[]): Promise<string>;
    refresh(refreshToken: string, scopes: readonly string[]): Promise<{ access_token: string; refresh_token: string }>;
    verify(token: string): Promise<TokenClaims>;
  }
  class AuthService {
    login(username: string, password: string, scopes: readonly string[]): Promise<{ access_token: string; refresh_token: string }>;
    userForToken(token: string): User | undefined;
  }
  /** Your API key validator, a provider (`@Injectable()`). */
  class ApiKeyValidator {
    validate(key: string): Promise<{ clientId: string } | null>;
  }
  /** Your passport strategy, a provider: `class BearerStrategy extends PassportStrategy(Strategy, 'bearer')`. */
  class BearerStrategy {
    authenticate(request: unknown, options?: unknown): void;
  }
  /** Your directory of customer tenants. */
  const tenants: { isCustomer(tenant: string): Promise<boolean> };
  /** A metrics counter (prom-client's `Counter`). */
  const refusals: { inc(labels: Partial<Record<string, string | number>>): void };
}
