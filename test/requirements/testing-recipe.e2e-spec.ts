import { Controller, Get, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CurrentUser,
  OAuth2PasswordBearer,
  Security,
  SecurityGuard,
  SecuritySchemesModule,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { forbidden, unauthorized } from '../utils/auth';
import { PLATFORMS, type Platform } from '../utils/platforms';

// The README's recipe for testing a controller with a fake principal.

const oauth2 = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: { me: 'Your profile', items: 'Your items' } });

/** The application's real validator: it would call an identity provider. */
@Injectable()
class JwtUserValidator implements SecurityValidator<string, { sub: string; scopes: string[] }> {
  validate(): never {
    throw new Error('no identity provider in unit tests');
  }
}

@Security(oauth2, ['me'])
@Controller('users/me')
class UsersController {
  @Get()
  me(@CurrentUser() user: unknown) {
    return { user };
  }

  @Security(oauth2, ['items'])
  @Get('items')
  items(@CurrentUser('sub') sub: unknown) {
    return { sub };
  }
}

const appModule = {
  imports: [SecuritySchemesModule.forRoot({ schemes: [{ scheme: oauth2, validator: JwtUserValidator }] })],
  providers: [JwtUserValidator],
  controllers: [UsersController],
};

async function start(platform: Platform, builder: ReturnType<typeof Test.createTestingModule>) {
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: false,
  });
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(PLATFORMS)('testing a controller with a fake principal (%s)', (platform) => {
  it('recipe 1: override the validator, so the scheme, the 401 and the scopes are still real', async () => {
    const app = await start(
      platform,
      Test.createTestingModule(appModule)
        .overrideProvider(JwtUserValidator)
        .useValue({ validate: () => ({ sub: 'ann', scopes: ['me'] }) }),
    );
    const http = request(app.getHttpServer());
    const token = { Authorization: 'Bearer any' };
    expect((await http.get('/users/me').set(token)).body).toEqual({ user: { sub: 'ann', scopes: ['me'] } });
    const items = await http.get('/users/me/items').set(token);
    expect({ status: items.status, body: items.body, challenge: items.headers['www-authenticate'] }).toEqual(forbidden('me items'));
    const anonymous = await http.get('/users/me');
    expect({ status: anonymous.status, body: anonymous.body, challenge: anonymous.headers['www-authenticate'] }).toEqual(
      unauthorized('Bearer'),
    );
    await app.close();
  });

  it('recipe 2: replace the guard with overrideProvider(SecurityGuard); @CurrentUser() reads request.user', async () => {
    class FakeGuard implements CanActivate {
      canActivate(context: ExecutionContext) {
        context.switchToHttp().getRequest().user = { sub: 'test-user' };
        return true;
      }
    }
    const app = await start(platform, Test.createTestingModule(appModule).overrideProvider(SecurityGuard).useValue(new FakeGuard()));
    const http = request(app.getHttpServer());
    expect((await http.get('/users/me')).body).toEqual({ user: { sub: 'test-user' } });
    expect((await http.get('/users/me/items')).body).toEqual({ sub: 'test-user' });
    await app.close();
  });
});
