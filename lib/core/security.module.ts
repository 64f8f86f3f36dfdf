import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { SECURITY_GLOBAL_GUARD, SECURITY_MODULE_OPTIONS } from './security.constants.js';
import { FormBodyHooks } from '../forms/form-body-hooks.js';
import { SecurityGuard } from './security.guard.js';
import type {
  SchemeEntry,
  SecuritySchemesModuleAsyncOptions,
  SecuritySchemesModuleOptions,
  SecuritySchemesOptionsFactory,
} from './security-options.interface.js';
import { SecurityRegistry } from './registry/security.registry.js';
import { SwaggerMetadataWriter } from '../openapi/swagger-metadata.writer.js';
import { revocationStoreProvider } from '../revocation/revocation-store.provider.js';
import { RevocationStore } from '../revocation/revocation-store.js';
import { markRegistration } from './single-registration.js';

/**
 * Registers the security schemes, their validators and (by default) a global `SecurityGuard`.
 * Global: `SecurityGuard`, `SchemeGuard(...)`, `SecurityRegistry` and `RevocationStore` can be used from any module.
 */
@Module({})
export class SecuritySchemesModule {
  static forRoot<const T extends readonly SchemeEntry[]>(options: SecuritySchemesModuleOptions<T>): DynamicModule {
    return markRegistration(SecuritySchemesModule.create([{ provide: SECURITY_MODULE_OPTIONS, useValue: options }], options?.globalGuard), 'forRoot');
  }

  static forRootAsync<const T extends readonly SchemeEntry[]>(options: SecuritySchemesModuleAsyncOptions<T>): DynamicModule {
    const module = SecuritySchemesModule.create(SecuritySchemesModule.asyncProviders(options), options.globalGuard);
    return markRegistration({ ...module, imports: [...(module.imports ?? []), ...(options.imports ?? [])] }, 'forRootAsync');
  }

  private static create(optionsProviders: Provider[], globalGuard = true): DynamicModule {
    return {
      module: SecuritySchemesModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        ...optionsProviders,
        { provide: SECURITY_GLOBAL_GUARD, useValue: globalGuard },
        revocationStoreProvider,
        SecurityRegistry,
        SwaggerMetadataWriter,
        SecurityGuard,
        FormBodyHooks,
        ...(globalGuard ? [{ provide: APP_GUARD, useExisting: SecurityGuard }] : []),
      ],
      exports: [SECURITY_MODULE_OPTIONS, SecurityRegistry, SecurityGuard, RevocationStore],
    };
  }

  private static asyncProviders(options: SecuritySchemesModuleAsyncOptions<readonly SchemeEntry[]>): Provider[] {
    if (options.useFactory) {
      return [{ provide: SECURITY_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
    }
    const factory = options.useClass ?? options.useExisting;
    if (!factory) {
      throw new Error('SecuritySchemesModule.forRootAsync needs useFactory, useClass or useExisting.');
    }
    return [
      ...(options.useClass ? [{ provide: options.useClass, useClass: options.useClass }] : []),
      {
        provide: SECURITY_MODULE_OPTIONS,
        useFactory: (optionsFactory: SecuritySchemesOptionsFactory) => optionsFactory.createSecurityOptions(),
        inject: [factory],
      },
    ];
  }
}
