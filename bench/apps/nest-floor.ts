import { Controller, createParamDecorator, Get, Injectable, Module, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { itemsOf, USERNAME } from '../fixtures';

// Scenario 1d, Nest's floor: what any guarded route pays before it checks anything. A guard that lets every
// request in and a parameter decorator that reads nothing: Nest runs its guard and parameter pipeline, as it
// does for every guarded row, and no security is done. A goal "× unguarded" cannot be above this row's.

@Injectable()
class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const Username = createParamDecorator((_data: unknown, _context: ExecutionContext) => USERNAME);

@Controller('users')
@UseGuards(AllowAllGuard)
class ItemsController {
  @Get('me/items/')
  items(@Username() username: string) {
    return itemsOf(username);
  }
}

@Module({ providers: [AllowAllGuard], controllers: [ItemsController] })
export class NestFloorModule {}
