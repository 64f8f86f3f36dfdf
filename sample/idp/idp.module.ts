import { Module } from '@nestjs/common';
import { IDP } from './idp.config.js';
import { IdpController } from './idp.controller.js';

/** The external identity provider's routes, only when IDP_ISSUER is set. */
@Module({ controllers: IDP ? [IdpController] : [] })
export class IdpModule {}
