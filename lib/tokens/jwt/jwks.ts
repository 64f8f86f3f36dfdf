import { Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { AlgorithmSpec } from './algorithms.js';
import { InvalidTokenError } from './jws.js';
import { importJwksKey, keyMaterial } from './keys.js';

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

/** The discovery document names another issuer than the configured one: a configuration error, not an outage. */
class IssuerMismatchError extends Error {}

const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * A remote JSON Web Key Set (RFC 7517), cached as key objects by `kid`.
 * - An unknown `kid` causes at most one fetch per cooldown, shared by every request waiting for it,
 *   so a flood of made-up `kid`s costs the identity provider nothing.
 * - When the provider is unreachable, the cached keys keep working.
 * - Keys that disappear from the set stop working at the next fetch (`onKeysRemoved` is called). Keys are
 *   compared by their material, not their `kid`: a key replaced under the same `kid`, or in a set without
 *   kids, counts as removed.
 * - A discovery document that names another issuer is a configuration error: logged once (ERROR), and
 *   tokens are refused (`issuer_mismatch`), not answered as an outage.
 */
export class RemoteKeySet {
  /** How many times the key set (and discovery document) were requested; for monitoring. */
  fetches = 0;
  private readonly logger = new Logger('JwtValidator');
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private keys = new Map<string, KeyObject[]>();
  /** `kid` and key material of each key of the set, to tell which keys a fetch removed. */
  private published = new Set<string>();
  /** Why the discovery document cannot be used (it names another issuer), until a fetch finds it right. */
  private misconfiguration: string | undefined;
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
    if (this.misconfiguration !== undefined) throw new InvalidTokenError('issuer_mismatch', this.misconfiguration);
    if (this.lastFailed) {
      throw new KeySetUnavailableError(Math.max(1, Math.ceil((this.lastAttempt + this.cooldownMs - Date.now()) / 1000)));
    }
    throw new InvalidTokenError('unknown_key', 'no key of the key set has this kid');
  }

  /** Fetches the key set unless a fetch is under way or the last one started less than a cooldown ago. */
  refresh(): Promise<void> {
    return this.fetchOnce('error');
  }

  /**
   * The first fetch, at start-up. A provider that is down is a warning, and holds nothing back: the first
   * token that needs a key fetches again, without waiting for the cooldown.
   */
  async prefetch(): Promise<void> {
    await this.fetchOnce('warn');
    if (this.lastFailed) this.lastAttempt = Number.NEGATIVE_INFINITY;
  }

  private fetchOnce(outageLevel: 'warn' | 'error'): Promise<void> {
    if (this.inflight) return this.inflight;
    if (Date.now() - this.lastAttempt < this.cooldownMs) return Promise.resolve();
    this.lastAttempt = Date.now();
    this.inflight = this.fetchKeys(outageLevel).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private refreshInBackground(): void {
    void this.refresh();
  }

  private async fetchKeys(outageLevel: 'warn' | 'error'): Promise<void> {
    try {
      if (this.jwksUri === undefined && 'discoveryUrl' in this.source) this.jwksUri = await this.discover(this.source);
      const document = await this.getJson(this.jwksUri!);
      const entries = Array.isArray(document.keys) ? (document.keys as unknown[]) : undefined;
      if (!entries) throw new Error(`GET ${this.jwksUri} answered no "keys" array`);
      const keys = new Map<string, KeyObject[]>();
      const published = new Set<string>();
      for (const entry of entries) {
        if (entry === null || typeof entry !== 'object') continue;
        const imported = importJwksKey(entry as Record<string, unknown>, this.specs);
        if (typeof imported === 'string') {
          this.logger.warn(`Skipped key ${JSON.stringify((entry as { kid?: unknown }).kid ?? null)} of the JWKS: ${imported}.`);
          continue;
        }
        const kid = imported.kid ?? '';
        keys.set(kid, [...(keys.get(kid) ?? []), imported.key]);
        published.add(`${kid}\n${keyMaterial(imported.key)}`);
      }
      // A token without a kid may use any key of the set.
      if (!keys.has('')) keys.set('', [...keys.values()].flat());
      const removed = [...this.published].some((key) => !published.has(key));
      this.keys = keys;
      this.published = published;
      this.fetchedAt = Date.now();
      this.lastFailed = false;
      this.misconfiguration = undefined;
      if (removed) this.onKeysRemoved();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof IssuerMismatchError) {
        if (this.misconfiguration === undefined) this.logger.error(`Configuration error: ${message}. Its tokens are refused (issuer_mismatch).`);
        this.misconfiguration = message;
        return;
      }
      this.lastFailed = true;
      this.logger[outageLevel](`Could not fetch the key set: ${message}`);
    }
  }

  private async discover(source: { discoveryUrl: string; issuer: string }): Promise<string> {
    const document = await this.getJson(source.discoveryUrl);
    if (document.issuer !== source.issuer) {
      throw new IssuerMismatchError(
        `the discovery document ${source.discoveryUrl} names the issuer ${JSON.stringify(document.issuer)}, not the configured ${JSON.stringify(source.issuer)}`,
      );
    }
    if (typeof document.jwks_uri !== 'string') throw new Error(`the discovery document ${source.discoveryUrl} has no jwks_uri`);
    return new URL(document.jwks_uri).href;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    this.fetches++;
    let text: string;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      text = await response.text();
    } catch (error) {
      throw new Error(`GET ${url} failed: ${causeOf(error)}`);
    }
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`GET ${url} did not answer JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`GET ${url} did not answer a JSON object`);
    return value as Record<string, unknown>;
  }
}

/** Why a request failed, in words: fetch's own error says only "fetch failed", its cause says why (ECONNREFUSED...). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error; // duck-typed: fetch's errors may come from another realm
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(cause);
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
