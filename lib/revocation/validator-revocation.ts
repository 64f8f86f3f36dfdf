import { RevocationStore } from './revocation-store.js';

/**
 * The revocation store a token validator checks: its own (`revocation` option), none (`revocation: false`),
 * or, by default, the module's, handed over at start-up through the validator's `useModuleRevocationStore`.
 */
export class ValidatorRevocation {
  store: RevocationStore | undefined;
  private readonly own: boolean;

  constructor(owner: string, option: RevocationStore | false | undefined) {
    if (option !== undefined && option !== false && !(option instanceof RevocationStore)) {
      throw new Error(`${owner}: revocation must be a RevocationStore (InMemoryRevocationStore, RedisRevocationStore...) or false.`);
    }
    this.own = option !== undefined;
    this.store = option || undefined;
  }

  /** Takes the module's store, unless the validator was given its own (or `false`). */
  useModuleStore(store: RevocationStore): void {
    if (!this.own) this.store = store;
  }
}
