import { Controller, Get, Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { timingSafeEqual } from 'node:crypto';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  CurrentClaims,
  CurrentScopes,
  CurrentUser,
  HTTPBasic,
  includes,
  JwtValidator,
  OAuth2PasswordBearer,
  Security,
  SecurityAll,
  SecuritySchemesModule,
  type HTTPBasicCredentials,
  type SecurityScopes,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import type { Platform } from '../utils/platforms';

// An application as the README sets one up: a JwtValidator INSTANCE for the OAuth2 scheme (no provider
// to override), a provider class for the API key, the global guard. The testing kit must work with it.

export const JWT_SECRET = 'a-test-secret-of-at-least-32-bytes!';
export const oauth2 = new OAuth2PasswordBearer({
  tokenUrl: 'token',
  scopes: { me: 'Your profile', items: 'Your items', admin: 'Administration' },
});
export const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
export const partnerKey = new APIKeyQuery({ name: 'partner_key', schemeName: 'PartnerKey' });
export const session = new APIKeyCookie({ name: 'session', schemeName: 'Session' });
export const ops = new HTTPBasic({ realm: 'ops' });

/** The application's key validator: it would query a database, which tests do not have. */
@Injectable()
export class ApiKeyValidator implements SecurityValidator<string> {
  validate(): never {
    throw new Error('no key database in tests');
  }
}

/** Refuses everything: the sessions and partner keys of the real application are not in tests. */
const nobody: SecurityValidator = { validate: () => null };

/** A real validator the tests do not replace: one operator, compared in constant time. */
const operators: SecurityValidator<HTTPBasicCredentials> = {
  validate({ username, password }) {
    const given = Buffer.from(`${username}:${password}`);
    const known = Buffer.from('ops:correct horse');
    return given.length === known.length && timingSafeEqual(given, known) ? { name: 'operator' } : null;
  },
};

@Security(oauth2, ['me'])
@Controller('users/me')
class UsersController {
  @Get()
  me(@CurrentUser() user: unknown, @CurrentScopes() scopes: SecurityScopes, @CurrentClaims() claims: unknown) {
    return { user, required: scopes.scopes, claims: claims ?? null };
  }

  @Security(oauth2, ['items'])
  @Get('items')
  items(@CurrentUser('name') name: string) {
    return { name };
  }

  @Security(oauth2, { claims: { roles: includes('admin') }, acrValues: ['urn:mfa'] })
  @Get('admin')
  admin(@CurrentUser('name') name: string) {
    return { name };
  }
}

@Controller('feed')
class FeedController {
  @Security(oauth2, [], { optional: true })
  @Get()
  feed(@CurrentUser() user: { name: string } | null) {
    return { reader: user?.name ?? null };
  }
}

@Security(apiKey)
@Controller('jobs')
class JobsController {
  @Get()
  jobs(@CurrentUser() robot: unknown) {
    return { robot };
  }

  @SecurityAll({ scheme: apiKey }, { scheme: oauth2, scopes: ['admin'] })
  @Get('purge')
  purge(@CurrentUser('name') name: string) {
    return { name };
  }
}

@Controller('partners')
class PartnersController {
  @Security(partnerKey)
  @Get()
  partner(@CurrentUser() partner: unknown) {
    return { partner };
  }

  @Security(session)
  @Get('session')
  session(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(ops)
  @Get('ops')
  ops(@CurrentUser() operator: unknown) {
    return { operator };
  }
}

const controllers = [UsersController, FeedController, JobsController, PartnersController];
const schemes = (jwt: JwtValidator) =>
  [
    { scheme: oauth2, validator: jwt },
    { scheme: apiKey, validator: ApiKeyValidator },
    { scheme: partnerKey, validator: nobody },
    { scheme: session, validator: nobody },
    { scheme: ops, validator: operators },
  ] as const;

/** The README's setup: `forRoot` with a `JwtValidator` instance. */
export function forRootApp(): Type {
  @Module({
    imports: [SecuritySchemesModule.forRoot({ schemes: schemes(new JwtValidator({ key: JWT_SECRET, algorithms: ['HS256'] })) })],
    providers: [ApiKeyValidator],
    controllers,
  })
  class AppModule {}
  return AppModule;
}

/** The same with `forRootAsync`: the validator is built in the factory. */
export function forRootAsyncApp(): Type {
  @Module({
    imports: [
      SecuritySchemesModule.forRootAsync({
        useFactory: async () => ({ schemes: schemes(new JwtValidator({ key: JWT_SECRET, algorithms: ['HS256'] })) }),
      }),
    ],
    providers: [ApiKeyValidator],
    controllers,
  })
  class AppModule {}
  return AppModule;
}

export interface StartedApp {
  app: INestApplication;
  http: TestAgent;
}

/** Compiles the module, lets `prepare` change it (the testing kit), then starts the application. */
export async function startApp(
  platform: Platform,
  appModule: Type,
  prepare: (moduleRef: TestingModule) => void = () => {},
): Promise<StartedApp> {
  const moduleRef = await Test.createTestingModule({ imports: [appModule] }).compile();
  prepare(moduleRef);
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return { app, http: request(app.getHttpServer()) };
}
