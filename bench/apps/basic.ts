import { Controller, Get, Injectable, Module } from '@nestjs/common';
import {
  HTTPBasic,
  Security,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { itemsOf, PASSWORD, secretMatcher, USERNAME, type User } from '../fixtures';

// Scenario 3: HTTP Basic, user name and password compared in constant time (no password hashing).

export const basic = new HTTPBasic({ realm: 'bench' });
const isUsername = secretMatcher(USERNAME);
const isPassword = secretMatcher(PASSWORD);
const BASIC_USER: User = { username: USERNAME, scopes: [] };

@Injectable()
export class BasicValidator implements SecurityValidator<HTTPBasicCredentials, User | null> {
  validate({ username, password }: HTTPBasicCredentials): User | null {
    // Both compares always run, so the answer's timing does not tell which one failed.
    const usernameOk = isUsername(username);
    const passwordOk = isPassword(password);
    return usernameOk && passwordOk ? BASIC_USER : null;
  }
}

@Controller('users')
class ItemsController {
  @Get('me/items/')
  @Security(basic)
  items() {
    return itemsOf(USERNAME); // like the baseline: only the security layer differs
  }
}

@Module({
  imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: basic, validator: BasicValidator }] })],
  providers: [BasicValidator],
  controllers: [ItemsController],
})
export class BasicModule {}
