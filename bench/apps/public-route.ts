import { Controller, Get, Module } from '@nestjs/common';
import { APIKeyHeader, SecuritySchemesModule } from 'nestjs-security-schemes';
import { itemsOf, USERNAME } from '../fixtures';

// Scenario 1b: the module is loaded (global SecurityGuard) but the route requires nothing.

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });

@Controller('users')
class ItemsController {
  @Get('me/items/')
  items() {
    return itemsOf(USERNAME);
  }
}

@Module({
  imports: [SecuritySchemesModule.forRoot({ schemes: [apiKey] })],
  controllers: [ItemsController],
})
export class PublicRouteModule {}
