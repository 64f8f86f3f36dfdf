import { Module } from '@nestjs/common';
import { BasicController } from './basic.controller.js';
import { BasicValidator } from './basic.validator.js';

@Module({ providers: [BasicValidator], controllers: [BasicController] })
export class BasicModule {}
