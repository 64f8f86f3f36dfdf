import { Injectable } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, Mutation, ObjectType, Parent, Query, ResolveField, Resolver, Subscription, GraphQLModule } from '@nestjs/graphql';
import {
  APIKeyHeader,
  CurrentCredentials,
  CurrentScopes,
  CurrentUser,
  HTTPBearer,
  Security,
  SecuritySchemesModule,
  SkipSecurity,
  type RefusalHook,
  type SecurityScopes,
} from 'nestjs-security-schemes';
import { TokenValidator, type TokenPrincipal } from '../utils/tokens';

export const httpBearer = new HTTPBearer();
export const apiKey = new APIKeyHeader({ name: 'X-API-Key', schemeName: 'apiKey' });
export const optionalBearer = new HTTPBearer({ schemeName: 'optionalBearer', autoError: false });

/** API keys are valid when they start with `key-`; the principal is `{ key }`. */
@Injectable()
export class KeyValidator {
  validate(key: string) {
    return key.startsWith('key-') ? { sub: key, scopes: [] as string[] } : null;
  }
}

@ObjectType()
export class Item {
  @Field()
  name!: string;
}

@ObjectType()
export class Caller {
  @Field({ nullable: true })
  sub?: string;

  @Field(() => [String])
  required!: string[];

  @Field(() => String, { nullable: true })
  credentials?: string | null;
}

const ITEMS: Item[] = [{ name: 'hammer' }, { name: 'saw' }];

function caller(user: TokenPrincipal | { sub: string } | null, scopes: SecurityScopes, credentials: unknown): Caller {
  const raw = typeof credentials === 'string' ? credentials : (credentials as { credentials?: string } | null)?.credentials;
  return { sub: user?.sub, required: [...scopes.scopes], credentials: raw ?? null };
}

@Resolver(() => Item)
export class ItemsResolver {
  @Query(() => String)
  hello(): string {
    return 'hello';
  }

  @Security(httpBearer, ['items:read'])
  @Query(() => [Item], { nullable: true })
  items(): Item[] {
    return ITEMS;
  }

  @Security(httpBearer, ['items:write'])
  @Mutation(() => Item, { nullable: true })
  addItem(@Args('name') name: string, @CurrentUser('sub') sub: string): Item {
    return { name: `${name} (by ${sub})` };
  }

  /** A guarded field of an unguarded type: only its own value is refused. */
  @Security(httpBearer, ['items:owner'])
  @ResolveField(() => String, { nullable: true })
  owner(@Parent() item: Item, @CurrentUser() user: TokenPrincipal): string {
    return `${user.sub} owns ${item.name}`;
  }

  @Security(optionalBearer)
  @Query(() => Caller)
  maybe(@CurrentUser() user: TokenPrincipal | null, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() credentials: unknown): Caller {
    return caller(user, scopes, credentials);
  }

  @Security(httpBearer, ['admin'])
  @Security(apiKey)
  @Query(() => Caller, { nullable: true })
  adminOrKey(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() credentials: unknown): Caller {
    return caller(user, scopes, credentials);
  }

  @Security(httpBearer, ['events:read'])
  @Security(apiKey)
  @Subscription(() => String, { nullable: true })
  events(@CurrentUser() user: TokenPrincipal) {
    return (async function* () {
      yield { events: `first event for ${user.sub}` };
    })();
  }
}

/** Class-level requirement, merged into every handler like a controller's. */
@Security(httpBearer, ['reports'])
@Resolver()
export class ReportsResolver {
  @Query(() => Caller, { nullable: true })
  report(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() credentials: unknown): Caller {
    return caller(user, scopes, credentials);
  }

  @Security(httpBearer, ['reports:write'])
  @Mutation(() => Caller, { nullable: true })
  writeReport(@CurrentUser() user: TokenPrincipal, @CurrentScopes() scopes: SecurityScopes, @CurrentCredentials() credentials: unknown): Caller {
    return caller(user, scopes, credentials);
  }

  @SkipSecurity()
  @Query(() => String)
  reportsStatus(): string {
    return 'up';
  }
}

export function graphqlModules(onRefusal?: RefusalHook) {
  return [
    SecuritySchemesModule.forRoot({
      schemes: [
        { scheme: httpBearer, validator: TokenValidator },
        { scheme: apiKey, validator: KeyValidator },
        { scheme: optionalBearer, validator: TokenValidator },
      ],
      onRefusal,
    }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      playground: false,
      fieldResolverEnhancers: ['guards'],
      subscriptions: { 'graphql-ws': true },
    }),
  ];
}

export const GRAPHQL_PROVIDERS = [TokenValidator, KeyValidator, ItemsResolver, ReportsResolver];
