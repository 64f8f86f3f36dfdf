import type { Provider } from '@nestjs/common';
import { SECURITY_MODULE_OPTIONS } from '../core/security.constants.js';
import type { SecuritySchemesModuleOptions } from '../core/security-options.interface.js';
import { InMemoryRevocationStore } from './in-memory-revocation-store.js';
import { RevocationStore } from './revocation-store.js';

/**
 * `RevocationStore` for injection: the module's `revocation` option, or a new in-memory store. Nest calls the
 * store's lifecycle hooks (`onModuleInit`: a Redis store connects and loads; `onApplicationShutdown`: closes).
 */
export const revocationStoreProvider: Provider = {
  provide: RevocationStore,
  inject: [SECURITY_MODULE_OPTIONS],
  useFactory: (options: SecuritySchemesModuleOptions | undefined): RevocationStore => {
    const store = options?.revocation;
    if (store === undefined) return new InMemoryRevocationStore();
    if (!(store instanceof RevocationStore)) {
      throw new Error('SecuritySchemesModule: revocation must be a RevocationStore (new InMemoryRevocationStore(), new RedisRevocationStore(...)).');
    }
    return store;
  },
};
