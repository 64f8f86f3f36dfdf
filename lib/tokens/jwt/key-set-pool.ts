import { BoundedMap } from '../bounded-map.js';
import type { AlgorithmSpec } from './algorithms.js';
import { RemoteKeySet, type JwksOptions, type KeySetSource } from './jwks.js';

/**
 * Remote key sets shared by the validators of one owner (MultiIssuerValidator), keyed by where the keys come
 * from (the JWKS URL, or the discovery URL and issuer), the algorithms and the fetch options. A validator
 * built again for the same source, such as an issuer resolved again after it left the issuer cache, gets the
 * same key set: its keys and its cooldown, so rebuilding costs the identity provider nothing.
 */
export class KeySetPool {
  private readonly keySets: BoundedMap<string, RemoteKeySet>;

  /** `onKeysRemoved`: a fetch found keys gone or replaced, in any key set of the pool. */
  constructor(
    max: number,
    private readonly onKeysRemoved: () => void,
  ) {
    this.keySets = new BoundedMap(max);
  }

  keySet(source: KeySetSource, specs: Map<string, AlgorithmSpec>, options: JwksOptions = {}): RemoteKeySet {
    const { cooldownSeconds, timeoutMs, maxAgeSeconds } = options;
    const id = JSON.stringify([source, [...specs.keys()].sort(), cooldownSeconds, timeoutMs, maxAgeSeconds]);
    let keySet = this.keySets.get(id);
    if (keySet === undefined) {
      keySet = new RemoteKeySet(source, specs, options, this.onKeysRemoved);
      this.keySets.set(id, keySet);
    }
    return keySet;
  }
}
