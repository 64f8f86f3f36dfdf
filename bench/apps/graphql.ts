import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Module } from '@nestjs/common';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { itemsOf, USERNAME, type User } from '../fixtures';
import { jwtSecurityModule, JwtValidator, oauth2 } from './jwt-scopes';

// Scenarios 9 and 10: the same GraphQL query (POST /graphql, Apollo on Fastify) unguarded, and guarded
// like scenario 4: OAuth2 password bearer, the JWT validator, scopes merged from the module ('me'),
// the resolver ('me') and the query ('items').

@ObjectType()
class Item {
  @Field()
  item_id!: string;

  @Field()
  owner!: string;
}

@Resolver()
class UnguardedItemsResolver {
  @Query(() => [Item])
  items(): Item[] {
    return itemsOf(USERNAME);
  }
}

@Security(oauth2, ['me'])
@Resolver()
class GuardedItemsResolver {
  @Security(oauth2, ['items'])
  @Query(() => [Item], { nullable: true })
  items(@CurrentUser() user: User): Item[] {
    return itemsOf(user.username);
  }
}

const graphql = () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, playground: false });

@Module({ imports: [graphql()], providers: [UnguardedItemsResolver] })
export class GraphQLUnguardedModule {}

@Module({ imports: [jwtSecurityModule(), graphql()], providers: [JwtValidator, GuardedItemsResolver] })
export class GraphQLJwtModule {}
