import { Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';
import { InvalidTokenError } from './jws.js';
import { importJwksKey } from './keys.js';

export interface JwksOptions {
  /** Least time between two fetches of the key set, in seconds; an unknown `kid` waits for it. Default 30. */
  cooldownSeconds?: number;
  /** Timeout of each discovery and JWKS request, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** After this many seconds the key set is refreshed in the background (rotation without restart). Default 600. */
  maxAgeSeconds?: number;
}

/** Where the keys come from: a JWKS URL, or an OpenID Connect discovery document that names one. */
export type KeySetSource = { jwksUri: string } | { discoveryUrl: string; issuer: string };

/** The key set could not be fetched and the token needs a key it does not have yet: answer 503. */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
  constructor(readonly retryAfterSeconds: number) {
    super('the key set of the identity provider could not be fetched');
  }
}

const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * A remote JSON Web Key Set (RFC 7517), cached as key objects by `kid`.
 * - An unknown `kid` causes at most one fetch per cooldown, shared by every request waiting for it,
 *   so a flood of made-up `kid`s costs the identity provider nothing.
 * - When the provider is unreachable, the cached keys keep working.
 * - Keys that disappear from the set stop working at the next fetch (`onKeysRemoved` is called).
 */
export class RemoteKeySet {
  /** How many times the key set (and discovery document) were requested; for monitoring. */
  fetches = 0;
  private readonly logger = new Logger('JwtValidator');
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private keys = new Map<string, KeyObject[]>();
  private jwksUri: string | undefined;
  private fetchedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly source: KeySetSource,
    private readonly specs: Map<string, AlgorithmSpec>,
    options: JwksOptions = {},
    private readonly onKeysRemoved: () => void = () => undefined,
  ) {
    this.cooldownMs = positive('jwks.cooldownSeconds', options.cooldownSeconds, 30) * 1000;
    this.timeoutMs = positive('jwks.timeoutMs', options.timeoutMs, 5000);
    this.maxAgeMs = seconds('jwks.maxAgeSeconds', options.maxAgeSeconds, 600) * 1000;
    this.jwksUri = 'jwksUri' in source ? source.jwksUri : undefined;
  }

  /** The cached keys for a `kid` (the empty string for a token without one), or undefined. No I/O. */
  cached(kid: string): KeyObject[] | undefined {
    if (this.fetchedAt !== 0 && Date.now() - this.fetchedAt > this.maxAgeMs) this.refreshInBackground();
    return this.keys.get(kid);
  }

  /** The keys for a `kid`, fetching the key set when it is unknown and the cooldown allows. */
  async resolve(kid: string): Promise<KeyObject[]> {
    let keys = this.keys.get(kid);
    if (keys) return keys;
    await this.refresh();
    keys = this.keys.get(kid);
    if (keys) return keys;
    if (this.lastFailed) {
      throw new KeySetUnavailableError(Math.max(1, Math.ceil((this.lastAttempt + this.cooldownMs - Date.now()) / 1000)));
    }
    throw new InvalidTokenError('unknown_key', 'no key of the key set has this kid');
  }

  /** Fetches the key set unless a fetch is under way or the last one started less than a cooldown ago. */
  refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (Date.now() - this.lastAttempt < this.cooldownMs) return Promise.resolve();
    this.lastAttempt = Date.now();
    this.inflight = this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private refreshInBackground(): void {
    void this.refresh();
  }

  private async fetchKeys(): Promise<void> {
    try {
      if (this.jwksUri === undefined && 'discoveryUrl' in this.source) this.jwksUri = await this.discover(this.source);
      const document = await this.getJson(this.jwksUri!);
      const entries = Array.isArray(document.keys) ? (document.keys as unknown[]) : undefined;
      if (!entries) throw new Error('the JWKS has no "keys" array');
      const keys = new Map<string, KeyObject[]>();
      for (const entry of entries) {
        if (entry === null || typeof entry !== 'object') continue;
        const imported = importJwksKey(entry as Record<string, unknown>, this.specs);
        if (typeof imported === 'string') {
          this.logger.warn(`Skipped key ${JSON.stringify((entry as { kid?: unknown }).kid ?? null)} of the JWKS: ${imported}.`);
          continue;
        }
        const kid = imported.kid ?? '';
        keys.set(kid, [...(keys.get(kid) ?? []), imported.key]);
      }
      // A token without a kid may use any key of the set.
      if (!keys.has('')) keys.set('', [...keys.values()].flat());
      const removed = [...this.keys.keys()].some((kid) => !keys.has(kid));
      this.keys = keys;
      this.fetchedAt = Date.now();
      this.lastFailed = false;
      if (removed) this.onKeysRemoved();
    } catch (error) {
      this.lastFailed = true;
      this.logger.error(`Could not fetch the key set: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async discover(source: { discoveryUrl: string; issuer: string }): Promise<string> {
    const document = await this.getJson(source.discoveryUrl);
    if (document.issuer !== source.issuer) {
      throw new Error(`the discovery document's issuer ${JSON.stringify(document.issuer)} is not the configured ${JSON.stringify(source.issuer)}`);
    }
    if (typeof document.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
    return new URL(document.jwks_uri).href;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    this.fetches++;
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`GET ${url} did not answer a JSON object`);
    return value as Record<string, unknown>;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new Error(`JwtValidator: ${name} must be a positive number.`);
  return value;
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  if (value === 0) return 0;
  return positive(name, value, fallback);
}
