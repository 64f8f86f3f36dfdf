import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { APIKeyHeader, Security, SecuritySchemesModule, type SecurityValidator } from 'nestjs-security-schemes';
import { API_KEY, itemsOf, secretMatcher, USERNAME, type User } from '../fixtures';

// Scenario 2: an API key in a header, checked in constant time.

export const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const isApiKey = secretMatcher(API_KEY);
const KEY_OWNER: User = { username: USERNAME, scopes: [] };

@Injectable()
export class ApiKeyValidator implements SecurityValidator<string, User | null> {
  validate(key: string): User | null {
    return isApiKey(key) ? KEY_OWNER : null;
  }
}

@Controller('users')
class ItemsController {
  @Get('me/items/')
  @Security(apiKey)
  items() {
    return itemsOf(USERNAME); // like the baseline: only the security layer differs
  }
}

@Module({
  imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: apiKey, validator: ApiKeyValidator }] })],
  providers: [ApiKeyValidator],
  controllers: [ItemsController],
})
export class ApiKeyModule {}
