// Type tests: `npm test` type-checks this file (tsc --noEmit). Each `@ts-expect-error` fails the type
// check if the error it expects disappears; the jest part only keeps the file in the suite.
import { Injectable } from '@nestjs/common';
import {
  APIKeyHeader,
  HTTPBasic,
  HTTPBearer,
  OAuth2PasswordBearer,
  SecuritySchemesModule,
  type HTTPAuthorizationCredentials,
  type HTTPBasicCredentials,
  type SecurityValidator,
} from 'nestjs-security-schemes';

interface User {
  id: string;
}

/** Reads a raw token string: right for OAuth2PasswordBearer and API keys, wrong for HTTPBearer. */
@Injectable()
class StringValidator implements SecurityValidator<string, User> {
  validate(token: string): User | null {
    return token === 'ok' ? { id: token } : null; // `null` compiles without widening User by hand
  }
}

@Injectable()
class BearerValidator implements SecurityValidator<HTTPAuthorizationCredentials, User> {
  async validate({ credentials }: HTTPAuthorizationCredentials): Promise<User | undefined> {
    return credentials === 'ok' ? { id: credentials } : undefined;
  }
}

@Injectable()
class BasicValidator implements SecurityValidator<HTTPBasicCredentials, User> {
  validate({ username }: HTTPBasicCredentials): User | false {
    return username === 'ann' && { id: username };
  }
}

const password = new OAuth2PasswordBearer({ tokenUrl: 'token' });
const bearer = new HTTPBearer();
const basic = new HTTPBasic();
const apiKey = new APIKeyHeader({ name: 'X-Key' });

export const accepted = [
  SecuritySchemesModule.forRoot({
    schemes: [
      { scheme: password, validator: StringValidator },
      { scheme: bearer, validator: BearerValidator },
      { scheme: basic, validator: BasicValidator },
      { scheme: apiKey, validator: StringValidator },
      { scheme: new HTTPBearer({ schemeName: 'Instance' }), validator: new BearerValidator() },
      new HTTPBearer({ schemeName: 'Bare' }),
      // FastAPI's tutorial style: no validator, the handler checks the raw credentials.
      { scheme: new HTTPBasic({ schemeName: 'HandlerChecked' }), validatedBy: 'handler' },
    ],
  }),
  SecuritySchemesModule.forRootAsync({
    useFactory: () => ({ schemes: [{ scheme: password, validator: StringValidator }] }),
  }),
];

export const refused = [
  SecuritySchemesModule.forRoot({
    schemes: [
      // @ts-expect-error HTTPBearer extracts { scheme, credentials }, not a string
      { scheme: bearer, validator: StringValidator },
    ],
  }),
  SecuritySchemesModule.forRoot({
    schemes: [
      { scheme: password, validator: StringValidator },
      // @ts-expect-error HTTPBasic extracts { username, password }, not bearer credentials
      { scheme: basic, validator: BearerValidator },
    ],
  }),
  SecuritySchemesModule.forRoot({
    schemes: [
      // @ts-expect-error an instance validator is checked the same way
      { scheme: bearer, validator: new StringValidator() },
    ],
  }),
  SecuritySchemesModule.forRoot({
    schemes: [
      // @ts-expect-error validatedBy names who validates the credentials: only 'handler' (a validator is given as validator)
      { scheme: bearer, validatedBy: 'validator' },
    ],
  }),
  SecuritySchemesModule.forRoot({
    schemes: [
      // @ts-expect-error a validator, or validatedBy: 'handler', not both (who checks the credentials?)
      { scheme: bearer, validator: BearerValidator, validatedBy: 'handler' },
    ],
  }),
  SecuritySchemesModule.forRoot({
    schemes: [
      // @ts-expect-error the same with an instance validator
      { scheme: bearer, validator: new BearerValidator(), validatedBy: 'handler' },
    ],
  }),
  SecuritySchemesModule.forRootAsync({
    // @ts-expect-error the factory's schemes are checked too
    useFactory: () => ({ schemes: [{ scheme: bearer, validator: StringValidator }] }),
  }),
];

describe('validator types', () => {
  it('are checked by the type check that npm test runs (tsc --noEmit over test/)', () => {
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(7);
  });
});
