import { Controller, Get, Module } from '@nestjs/common';
import { itemsOf, USERNAME } from '../fixtures';

// Scenario 1, the baseline: the same route and body, and no security layer at all.

@Controller('users')
class ItemsController {
  @Get('me/items/')
  items() {
    return itemsOf(USERNAME);
  }
}

@Module({ controllers: [ItemsController] })
export class UnguardedModule {}
