import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApiKeyModule } from './apps/api-key';
import { BasicModule } from './apps/basic';
import { JwtScopesModule } from './apps/jwt-scopes';
import { LoginModule, passwordHashing } from './apps/login';
import { Or3Module } from './apps/or3';
import { PassportKeyObjectModule, PassportStringSecretModule } from './apps/passport';
import { PublicRouteModule } from './apps/public-route';
import { UnguardedModule } from './apps/unguarded';
import type { AppName, Platform } from './scenarios';

// One scenario server: `node server.js <platform> <app>`, started by run.js with an IPC channel.
// It listens on 127.0.0.1 (a free port), reports the port, and answers `usage` with its CPU time.

/** Each app's root module. All are imported; a server creates only the one it was started for. */
const MODULES: Record<AppName, Type> = {
  unguarded: UnguardedModule,
  'unguarded-again': UnguardedModule,
  public: PublicRouteModule,
  'api-key': ApiKeyModule,
  basic: BasicModule,
  jwt: JwtScopesModule,
  or3: Or3Module,
  'passport-string': PassportStringSecretModule,
  'passport-key': PassportKeyObjectModule,
  login: LoginModule,
};

export interface ServerUsage {
  /** process.cpuUsage(): user and system CPU time in µs since start. */
  cpu: NodeJS.CpuUsage;
  /** Logins running or waiting for argon2 (scenario 8), else 0. */
  pendingLogins: number;
}

async function main(): Promise<void> {
  const [platform, appName] = process.argv.slice(2) as [Platform, AppName];
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(MODULES[appName], adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;

  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'usage') {
      const usage: ServerUsage = { cpu: process.cpuUsage(), pendingLogins: passwordHashing.pending };
      process.send!({ usage });
    }
  });
  // The runner closes the channel when it is done (or dies): close the app so that --cpu-prof writes its profile.
  process.on('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  process.send!({ ready: true, port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
