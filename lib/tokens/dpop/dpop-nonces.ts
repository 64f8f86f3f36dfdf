import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DPoPNonceOptions } from './dpop-options.interface.js';

const MIN_SECRET_BYTES = 32;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), made without any state: time is cut into slots of
 * `lifetimeSeconds`, and a slot's nonce is its number with an HMAC of it. The current slot's nonce and the previous
 * one's are accepted, so a nonce lives between one and two lifetimes. Instances sharing the secret accept each
 * other's nonces.
 */
export class DPoPNonces {
  private readonly secret: Buffer;
  private readonly lifetimeMs: number;
  /** The nonces of the current and previous slots, made once per slot. */
  private slot = -1;
  private currentNonce = '';
  private previousNonce = '';

  constructor(owner: string, options: DPoPNonceOptions) {
    if (!options || typeof options !== 'object') throw new Error(`${owner}: dpop.nonce must be an object ({ secret?, lifetimeSeconds? }).`);
    const { secret, lifetimeSeconds = 300 } = options;
    if (secret === undefined) this.secret = randomBytes(MIN_SECRET_BYTES);
    else if (typeof secret === 'string' || secret instanceof Uint8Array) this.secret = Buffer.from(secret);
    else throw new Error(`${owner}: dpop.nonce.secret must be a string or bytes.`);
    if (this.secret.length < MIN_SECRET_BYTES) throw new Error(`${owner}: dpop.nonce.secret must have at least ${MIN_SECRET_BYTES} bytes.`);
    if (typeof lifetimeSeconds !== 'number' || !(lifetimeSeconds >= 1) || !Number.isFinite(lifetimeSeconds)) {
      throw new Error(`${owner}: dpop.nonce.lifetimeSeconds must be a number of seconds >= 1.`);
    }
    this.lifetimeMs = lifetimeSeconds * 1000;
  }

  /** The nonce to send now (`DPoP-Nonce`). */
  current(): string {
    this.update();
    return this.currentNonce;
  }

  /** `'current'`, `'previous'` (accepted, but a newer one should be sent), or undefined for any other value. */
  check(nonce: string): 'current' | 'previous' | undefined {
    this.update();
    if (equal(nonce, this.currentNonce)) return 'current';
    if (equal(nonce, this.previousNonce)) return 'previous';
    return undefined;
  }

  private update(): void {
    const slot = Math.floor(Date.now() / this.lifetimeMs);
    if (slot === this.slot) return;
    this.previousNonce = slot === this.slot + 1 ? this.currentNonce : this.make(slot - 1);
    this.currentNonce = this.make(slot);
    this.slot = slot;
  }

  private make(slot: number): string {
    const id = slot.toString(36);
    return `${id}.${createHmac('sha256', this.secret).update(`dpop-nonce.${id}`).digest('base64url').slice(0, 22)}`;
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
