import { Controller, Get, Injectable, Module, type DynamicModule } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import {
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecuritySchemesModule,
  type SecurityValidator,
  VerifiedTokenCache,
} from 'nestjs-security-schemes';
import { itemsOf, JWT_KEY, USERNAME, type User } from '../fixtures';

// Scenario 4, the sample's /users/me/items/: OAuth2 password bearer, a JWT validator (HS256 pinned,
// key object built once) and scopes merged from the module ('me'), the controller ('me') and the handler ('items').

export const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  scopes: { me: 'Read information about the current user.', items: 'Read items.' },
});

/** The user store: user name -> what the user may be granted. */
export const USERS = new Map<string, { username: string; scopes: readonly string[] }>([
  [USERNAME, { username: USERNAME, scopes: ['me', 'items'] }],
]);

/** Verified claims by token, as the sample's TokenService keeps them: never past the token's exp. */
const verified = new VerifiedTokenCache<jwt.JwtPayload>({ max: 10_000 });

@Injectable()
export class JwtValidator implements SecurityValidator<string, User | null> {
  validate(token: string): User | null {
    let claims = verified.get(token);
    if (claims === undefined) {
      try {
        claims = jwt.verify(token, JWT_KEY, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      } catch {
        return null; // expired, forged or malformed: the guard answers 401
      }
      if (claims.exp !== undefined) verified.set(token, claims, claims.exp);
    }
    const user = typeof claims.sub === 'string' ? USERS.get(claims.sub) : undefined;
    if (!user || !Array.isArray(claims.scopes)) return null;
    // Granted: what the token carries, limited to what the user may still have.
    return { username: user.username, scopes: claims.scopes.filter((scope: unknown) => user.scopes.includes(scope as string)) };
  }
}

@Controller('users')
@Security(oauth2, ['me'])
export class ItemsController {
  @Get('me/items/')
  @Security(oauth2, ['items'])
  items(@CurrentUser() user: User) {
    return itemsOf(user.username);
  }
}

export function jwtSecurityModule(): DynamicModule {
  return SecuritySchemesModule.forRoot({
    schemes: [{ scheme: oauth2, validator: JwtValidator }],
    defaultSecurity: [{ scheme: oauth2, scopes: ['me'] }],
  });
}

@Module({
  imports: [jwtSecurityModule()],
  providers: [JwtValidator],
  controllers: [ItemsController],
})
export class JwtScopesModule {}
