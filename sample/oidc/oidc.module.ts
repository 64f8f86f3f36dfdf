import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DiscoveryController } from './discovery.controller.js';
import { OpenIdConnectValidator } from './open-id-connect.validator.js';
import { UserInfoController } from './userinfo.controller.js';

@Module({
  imports: [AuthModule],
  providers: [OpenIdConnectValidator],
  controllers: [DiscoveryController, UserInfoController],
})
export class OidcModule {}
