import { Controller, Get, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

@ApiExcludeController()
@Controller()
export class AppController {
  /** The sample's front page is Swagger UI. */
  @Get()
  @Redirect('/docs', 302)
  root(): void {}
}
