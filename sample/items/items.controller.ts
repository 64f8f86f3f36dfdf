import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Security } from 'nestjs-security-schemes';
import { oauth2Scheme } from '../auth/oauth2.schemes.js';
import type { TokenPrincipal } from '../auth/token-principal.js';
import { Item } from './item.dto.js';

@ApiTags('items')
@Security(oauth2Scheme, ['me']) // `me` for every route of this controller...
@Controller('users/me/items')
export class ItemsController {
  /** ...plus `items` here: the route requires `me items` (scopes merge from class to handler). */
  @Security(oauth2Scheme, ['items'])
  @Get()
  @ApiOperation({ summary: "The current user's items (scopes me and items)" })
  @ApiOkResponse({ type: [Item] })
  list(@CurrentUser() principal: TokenPrincipal): Item[] {
    return [{ item_id: 'Foo', owner: principal.user.username }];
  }
}
