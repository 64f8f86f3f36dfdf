import { Module } from '@nestjs/common';
import { ApiKeyValidator } from './api-key.validator.js';
import { ReportsController } from './reports.controller.js';

@Module({ providers: [ApiKeyValidator], controllers: [ReportsController] })
export class ApiKeyModule {}
