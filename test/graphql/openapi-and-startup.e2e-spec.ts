import { Controller, Get, UseGuards, type INestApplication, type Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Security, SecurityGuard } from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { bearer } from '../utils/tokens';
import { GRAPHQL_PROVIDERS, graphqlModules, httpBearer } from './graphql-app';

@Controller('items')
class ItemsController {
  @Security(httpBearer, ['items:read'])
  @Get()
  list() {
    return [];
  }

  @Get('public')
  open() {
    return [];
  }
}

@Security(httpBearer)
@UseGuards(SecurityGuard)
@WebSocketGateway({ path: '/chat' })
class ChatGateway {
  @Security(httpBearer, ['chat'])
  @SubscribeMessage('say')
  say() {
    return 'said';
  }
}

async function start(providers: Type[], imports: unknown[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[], controllers: [ItemsController], providers }).compile();
  const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('GraphQL resolvers and WebSocket gateways leave the OpenAPI document alone', () => {
  it('documents the same operations, security and schemes with and without them', async () => {
    // The same schemes in both apps; only resolvers and gateways differ.
    const [securityModule, graphqlModule] = graphqlModules();
    const baseline = await start(GRAPHQL_PROVIDERS.slice(0, 2), [securityModule]);
    const expected = buildDocument(baseline);
    await baseline.close();

    const app = await start([...GRAPHQL_PROVIDERS, ChatGateway], [securityModule, graphqlModule]);
    // Compile the resolvers' requirements on first sight too, as a request does.
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('alice', ['items:read']) },
      body: JSON.stringify({ query: '{ items { name } report { sub } }' }),
    });
    const document = buildDocument(app);
    await app.close();

    expect(Object.keys(document.paths)).toEqual(['/items', '/items/public']);
    expect(document.paths['/items'].get?.security).toEqual([{ HTTPBearer: ['items:read'] }]);
    expect(document).toEqual(expected);
  });
});

@ObjectType()
class Thing {
  @Field()
  name!: string;
}

@Resolver(() => Thing)
class ThingResolver {
  @Query(() => [Thing])
  things(): Thing[] {
    return [{ name: 'a' }];
  }

  @Security(httpBearer)
  @ResolveField(() => String)
  secret(): string {
    return 'secret';
  }
}

describe('GraphQL start-up errors', () => {
  async function init(fieldResolverEnhancers?: ('guards' | 'interceptors' | 'filters')[]) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        graphqlModules()[0],
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, playground: false, fieldResolverEnhancers }),
      ],
      providers: [GRAPHQL_PROVIDERS[0], GRAPHQL_PROVIDERS[1], ThingResolver],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  }

  it('refuses a secured @ResolveField when GraphQL runs no guard on field resolvers', async () => {
    await expect(init()).rejects.toThrow(
      "ThingResolver.secret: @ResolveField handlers with security requirements need GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards'] }); without it no guard runs on them.",
    );
    await expect(init(['interceptors'])).rejects.toThrow('ThingResolver.secret:');
  });

  it("starts with fieldResolverEnhancers: ['guards']", async () => {
    await expect(init(['guards'])).resolves.toBeUndefined();
  });
});
