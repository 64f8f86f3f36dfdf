import { Controller, Get, Injectable, Module } from '@nestjs/common';
import {
  APIKeyCookie,
  Security,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { API_KEY, itemsOf, secretMatcher, USERNAME, type User } from '../fixtures';
import { apiKey, ApiKeyValidator } from './api-key';
import { basic, BasicValidator } from './basic';

// Scenario 5, the worst case for OR: three alternatives, and the request carries only the last one's credentials.

const sessionCookie = new APIKeyCookie({ name: 'session' });
const isSession = secretMatcher(API_KEY);
const SESSION_USER: User = { username: USERNAME, scopes: [] };

@Injectable()
export class SessionValidator implements SecurityValidator<string, User | null> {
  validate(session: string): User | null {
    return isSession(session) ? SESSION_USER : null;
  }
}

@Controller('users')
class ItemsController {
  @Get('me/items/')
  @Security(basic)
  @Security(sessionCookie)
  @Security(apiKey)
  items() {
    return itemsOf(USERNAME); // like the baseline: only the security layer differs
  }
}

@Module({
  imports: [
    SecuritySchemesModule.forRoot({
      schemes: [
        { scheme: basic, validator: BasicValidator },
        { scheme: sessionCookie, validator: SessionValidator },
        { scheme: apiKey, validator: ApiKeyValidator },
      ],
    }),
  ],
  providers: [BasicValidator, SessionValidator, ApiKeyValidator],
  controllers: [ItemsController],
})
export class Or3Module {}
