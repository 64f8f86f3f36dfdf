import 'reflect-metadata';
import { pbkdf2 } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createSampleApp } from '../sample/setup';
import { PasswordHasher } from '../sample/users/password-hasher';
import { ApiKeyModule } from './apps/api-key';
import { BasicModule } from './apps/basic';
import { BearerBaselineModule, DPoPBoundModule } from './apps/dpop';
import { introspectionEndpoint, IntrospectionCacheHitModule, IntrospectionCacheMissModule, TwentyIssuersModule } from './apps/introspection';
import { JwksCacheHitModule, JwksCacheMissModule, PassportJwksModule } from './apps/jwks';
import { GraphQLJwtModule, GraphQLJwtPeerModule, GraphQLUnguardedModule } from './apps/graphql';
import { JwtScopesModule } from './apps/jwt-scopes';
import { NestFloorModule } from './apps/nest-floor';
import { JwtNoRevocationModule, JwtRedis100kRevocationModule, JwtRedisRevocationModule } from './apps/jwt-revocation';
import { Or3Module } from './apps/or3';
import { PassportKeyObjectModule, PassportStringSecretModule } from './apps/passport';
import { ApiKeyPeerModule, BasicPeerModule, JwtPeerModule, Or3PeerModule } from './apps/peers';
import { PublicRouteModule } from './apps/public-route';
import { UnguardedModule } from './apps/unguarded';
import type { AppName, Platform } from './scenarios';

// One scenario server: `node server.js <platform> <app>`, started by run.js with an IPC channel.
// It listens on 127.0.0.1 (a free port), reports the port, and answers `usage` with its CPU time.

/** Builds a whole app, when a root module is not enough (the sample, as its main.ts builds it). */
type AppFactory = (platform: Platform) => Promise<INestApplication>;

/** Each app's root module, or its factory. All are imported; a server creates only the one it was started for. */
const MODULES: Record<AppName, Type | AppFactory> = {
  unguarded: UnguardedModule,
  'unguarded-again': UnguardedModule,
  'unguarded-third': UnguardedModule,
  'nest-floor': NestFloorModule,
  public: PublicRouteModule,
  'api-key': ApiKeyModule,
  'api-key-peer': ApiKeyPeerModule,
  basic: BasicModule,
  'basic-peer': BasicPeerModule,
  jwt: JwtScopesModule,
  'jwt-peer': JwtPeerModule,
  or3: Or3Module,
  'or3-peer': Or3PeerModule,
  'passport-string': PassportStringSecretModule,
  'passport-key': PassportKeyObjectModule,
  'sample-login': (platform) => createSampleApp(platform, { logger: false }),
  'sample-items': (platform) => createSampleApp(platform, { logger: false }),
  'jwks-miss': JwksCacheMissModule,
  'jwks-hit': JwksCacheHitModule,
  'passport-jwks': PassportJwksModule,
  graphql: GraphQLUnguardedModule,
  'graphql-jwt': GraphQLJwtModule,
  'graphql-jwt-peer': GraphQLJwtPeerModule,
  'introspection-hit': IntrospectionCacheHitModule,
  'introspection-miss': IntrospectionCacheMissModule,
  'issuers-20': TwentyIssuersModule,
  'jwt-revocation-none': JwtNoRevocationModule,
  'jwt-revocation-redis': JwtRedisRevocationModule,
  'jwt-revocation-100k': JwtRedis100kRevocationModule,
  'dpop-bearer': BearerBaselineModule,
  dpop: DPoPBoundModule,
};

/** Nest marks its modules with metadata; a factory is a plain function. */
const isModule = (value: Type | AppFactory): value is Type => Reflect.getMetadataKeys(value).length > 0;

export interface ServerUsage {
  /** process.cpuUsage(): user and system CPU time in µs since start. */
  cpu: NodeJS.CpuUsage;
  /** Logins running or waiting for argon2 (scenario 8), else 0. */
  pendingLogins: number;
  /** Time the in-process introspection endpoint spent answering (scenario 15), in µs since start. */
  introspectionEndpointUs: number;
}

async function main(): Promise<void> {
  const [platform, appName] = process.argv.slice(2) as [Platform, AppName];
  const entry = MODULES[appName];
  const app = isModule(entry)
    ? await NestFactory.create(entry, platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false })
    : await entry(platform);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const hasher = isModule(entry) ? undefined : app.get(PasswordHasher, { strict: false });

  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'usage') {
      const usage: ServerUsage = { cpu: process.cpuUsage(), pendingLogins: hasher?.pending ?? 0, introspectionEndpointUs: introspectionEndpoint.timeUs };
      process.send!({ usage });
    }
  });
  // The runner closes the channel when it is done (or dies): close the app so that --cpu-prof writes its profile.
  process.on('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  // libuv starts its thread pool on the first task, and threads inherit the CPU mask of the thread that starts
  // them: start the pool now, before run.js pins the main thread to CPU 0, so that argon2 may use either core.
  await promisify(pbkdf2)('bench', 'salt', 1, 32, 'sha256');
  process.send!({ ready: true, port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
