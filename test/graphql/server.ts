import type { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { RefusalHook } from 'nestjs-security-schemes';
import { graphqlModules, GRAPHQL_PROVIDERS } from './graphql-app';
import { PLATFORMS, type Platform } from '../utils/platforms';

/**
 * The Apollo driver serves Express through `@as-integrations/express5` and Fastify through
 * `@as-integrations/fastify`; both are dev dependencies, so the suites run on both platforms.
 */
export const GRAPHQL_PLATFORMS: Platform[] = PLATFORMS;

export interface GraphQLResult {
  status: number;
  challenge: string | null;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };
}

export interface GraphQLServer {
  app: INestApplication;
  url: string;
  /** POSTs an operation to /graphql with the given headers. */
  post(query: string, headers?: Record<string, string>, variables?: Record<string, unknown>): Promise<GraphQLResult>;
  /** Subscribes over graphql-ws with the given connectionParams; resolves with every payload until completion. */
  subscribe(query: string, connectionParams?: Record<string, unknown>): Promise<unknown[]>;
  close(): Promise<void>;
}

/** A real Nest + Apollo server listening on a free port, with the logger off; `onRefusal` is the module's hook. */
export async function startGraphQLServer(platform: Platform, onRefusal?: RefusalHook): Promise<GraphQLServer> {
  const moduleRef = await Test.createTestingModule({ imports: graphqlModules(onRefusal), providers: GRAPHQL_PROVIDERS }).compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const clients: Client[] = [];
  return {
    app,
    url,
    async post(query, headers = {}, variables) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as GraphQLResult['body'] };
    },
    subscribe(query, connectionParams) {
      const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
      clients.push(client);
      const payloads: unknown[] = [];
      return new Promise((resolve, reject) => {
        client.subscribe({ query }, { next: (value) => payloads.push(value), error: reject, complete: () => resolve(payloads) });
      });
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.close();
    },
  };
}
