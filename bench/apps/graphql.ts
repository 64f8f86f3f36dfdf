import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GqlExecutionContext, GraphQLModule, ObjectType, Query, Resolver } from '@nestjs/graphql';
import {
  createParamDecorator,
  ForbiddenException,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { itemsOf, USERNAME, type User } from '../fixtures';
import { jwtSecurityModule, JwtValidator, oauth2 } from './jwt-scopes';

// Scenarios 12, 13 and 13p: the same GraphQL query (POST /graphql, Apollo on Fastify) unguarded; guarded
// like scenario 4 (OAuth2 password bearer, the JWT validator, scopes merged from the module ('me'), the
// resolver ('me') and the query ('items')); and guarded by a hand-written guard calling the same validator.

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

interface PeerRequest {
  headers: IncomingHttpHeaders;
  user?: User;
}

/** The HTTP request carrying the operation, as Nest's GraphQL docs show it. */
const peerRequestOf = (context: ExecutionContext) => GqlExecutionContext.create(context).getContext<{ req: PeerRequest }>().req;

/** Scenario 4p's guard for a resolver: `Authorization: Bearer`, the same validator, both scopes. */
@Injectable()
class JwtPeerResolverGuard implements CanActivate {
  constructor(private readonly validator: JwtValidator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = peerRequestOf(context);
    const header = request.headers.authorization;
    const space = header ? header.indexOf(' ') : -1;
    const token = space > 0 && header!.slice(0, space).toLowerCase() === 'bearer' ? header!.slice(space + 1).trim() : '';
    const user = token ? this.validator.validate(token) : null;
    if (!user) throw new UnauthorizedException('Not authenticated');
    if (!['me', 'items'].every((scope) => user.scopes.includes(scope))) throw new ForbiddenException('Not enough permissions');
    request.user = user;
    return true;
  }
}

const PeerUser = createParamDecorator((_data: unknown, context: ExecutionContext) => peerRequestOf(context).user);

@Resolver()
@UseGuards(JwtPeerResolverGuard)
class PeerGuardedItemsResolver {
  @Query(() => [Item], { nullable: true })
  items(@PeerUser() user: User): Item[] {
    return itemsOf(user.username);
  }
}

const graphql = () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, playground: false });

@Module({ imports: [graphql()], providers: [UnguardedItemsResolver] })
export class GraphQLUnguardedModule {}

@Module({ imports: [jwtSecurityModule(), graphql()], providers: [JwtValidator, GuardedItemsResolver] })
export class GraphQLJwtModule {}

@Module({ imports: [graphql()], providers: [JwtValidator, JwtPeerResolverGuard, PeerGuardedItemsResolver] })
export class GraphQLJwtPeerModule {}
