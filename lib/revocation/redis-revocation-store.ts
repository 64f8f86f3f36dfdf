import { Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { SecurityHttpException } from '../core/security.exception.js';
import { InMemoryRevocationStore, type RevocationEntry } from './in-memory-revocation-store.js';
import { REVOCATION_MAX_EXPIRES_AT, RevocationStore, type RevocableClaims } from './revocation-store.js';
import { checkAttempt, checkExpiry, checkId } from './store-arguments.js';

export interface RedisRevocationStoreOptions {
  /**
   * A `redis://` or `rediss://` URL, or an ioredis client. From a client the store opens its own two
   * connections with `client.duplicate(...)` (same host, credentials, TLS, `keyPrefix`), and leaves yours alone.
   */
  redis: string | Redis;
  /** Prefix of the keys and of the pub/sub channel; the braces make every key hash to one Redis Cluster slot. Default `'{nss-revocation}'`. */
  prefix?: string;
  /** How long `connect()` (start-up) waits for the first load from Redis before it fails. Default 10,000 ms. */
  startupTimeoutMs?: number;
  /** Longest wait for one Redis command. Default 2,000 ms. */
  commandTimeoutMs?: number;
  /** `Retry-After` of the 503 that `consumeOnce` throws while Redis is unreachable. Default 5 s. */
  retryAfterSeconds?: number;
}

type Kind = RevocationEntry['kind'];
const KINDS: readonly Kind[] = ['token', 'session', 'subject'];
/** Entries per ZSCAN page and per write-back script call. */
const PAGE = 5000;
const WRITE_BATCH = 1000;

/**
 * Adds revocations, publishes them, drops expired ones and keeps each sorted set's TTL at its last entry's
 * expiry, atomically. KEYS: the token, session and subject sets. ARGV: now (s), channel, message, then (set
 * index, expiresAt, member) triples. ZADD GT keeps the latest expiry of a member (Redis >= 6.2).
 *
 * Nothing after a ZADD may fail (a script that stops keeps its earlier writes and skips the rest): the
 * expiries sent are checked and clamped before, the PUBLISH comes right after the ZADDs, and the TTL is
 * clamped too and sent as integer text (a Lua number would be sent as "1e+18", which EXPIREAT refuses),
 * even for a member written by an older version with a larger score.
 */
const WRITE_SCRIPT = `
local now = tonumber(ARGV[1])
for i = 4, #ARGV, 3 do
  redis.call('ZADD', KEYS[tonumber(ARGV[i])], 'GT', ARGV[i + 1], ARGV[i + 2])
end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
for k = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now)
  local last = redis.call('ZRANGE', KEYS[k], -1, -1, 'WITHSCORES')
  if last[2] then
    local at = math.min(math.ceil(tonumber(last[2])), ${REVOCATION_MAX_EXPIRES_AT}) + 1
    redis.call('EXPIREAT', KEYS[k], string.format('%d', at))
  end
end
return 1`;

/**
 * consumeOnce: marks the id used until ARGV[1] (integer seconds) unless it is; ARGV[2] is the attempt ('' for
 * none). The value is '1' (no attempt), '?<attempt>' (the attempt may retry once) or '!' (it did).
 */
const CONSUME_SCRIPT = `
local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[2] == '' and '1' or ('?' .. ARGV[2]), 'EXAT', ARGV[1])
  return 1
end
if ARGV[2] ~= '' and held == '?' .. ARGV[2] then
  redis.call('SET', KEYS[1], '!', 'KEEPTTL')
  return 1
end
return 0`;

type WriteCommand = (keys: [string, string, string], now: string, channel: string, message: string, ...triples: string[]) => Promise<unknown>;
type ConsumeCommand = (key: string, expireAt: string, attempt: string) => Promise<number>;

/**
 * Revocations shared by every instance through Redis, without a round trip per request: each instance
 * holds every live revocation in memory (an `InMemoryRevocationStore`, so `isRevoked` is a Map look-up),
 * kept in sync by Redis pub/sub and by a full reload each time it (re)connects.
 *
 * In Redis, each kind (jti, sid, subject) is one sorted set scored by expiry: a reload reads exactly these
 * entries with ZSCAN (no SCAN of the whole keyspace), every write drops the expired ones with
 * ZREMRANGEBYSCORE, and each set's TTL follows its last entry, so an idle set disappears with its tokens.
 * A revocation is written with one atomic script that also publishes it. `consumeOnce` is one script
 * (`GET`, then `SET EXAT` when the id is new). Expiries after `REVOCATION_MAX_EXPIRES_AT` are clamped to it.
 * A failing write (Redis refusing it) does not stop the next ones, pub/sub, or the start-up of an instance:
 * start-up needs the load (reads) only.
 *
 * A revocation is never forgotten: at each (re)connection an instance writes back what it holds and Redis
 * lacks (Redis restarted empty, or revocations taken while it was down). Run production Redis with
 * `appendonly yes`, or a restart of Redis and of every instance together loses them.
 *
 * While Redis is unreachable: what an instance knows stays refused; a revocation taken meanwhile is applied
 * at once on that instance and sent to Redis (and so to the others) when it is back; one WARN is logged
 * per outage; `consumeOnce` cannot be atomic, so it throws a 503 with `Retry-After`. At start-up
 * (`connect()`, called by the module's `onModuleInit`) the first load must succeed within
 * `startupTimeoutMs`, or the application does not start: an instance that never loaded would accept
 * revoked tokens.
 *
 * `ioredis` is an optional peer dependency, loaded only when a store is created from a URL.
 */
export class RedisRevocationStore extends RevocationStore {
  private readonly local = new InMemoryRevocationStore();
  private readonly logger = new Logger('RedisRevocationStore');
  private readonly keys: [string, string, string];
  private readonly channel: string;
  private readonly oncePrefix: string;
  private readonly startupTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly retryAfter: string;
  private client: Redis | undefined;
  private subscriber: Redis | undefined;
  private write: WriteCommand | undefined;
  private consume: ConsumeCommand | undefined;
  private subscribed = false;
  private closed = false;
  private unreachable = false;
  private connecting: Promise<void> | undefined;
  private synced: (() => void) | undefined;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisRevocationStoreOptions) {
    super();
    const redis = options?.redis;
    if (typeof redis !== 'string' && typeof (redis as Partial<Redis> | undefined)?.duplicate !== 'function') {
      throw new Error('RedisRevocationStore: redis must be a redis:// URL or an ioredis client.');
    }
    if (typeof redis === 'string' && !/^rediss?:\/\//.test(redis)) {
      throw new Error('RedisRevocationStore: redis must be a redis:// or rediss:// URL.'); // the URL is not echoed: it may hold a password
    }
    const prefix = options.prefix ?? '{nss-revocation}';
    if (typeof prefix !== 'string' || prefix === '') throw new Error('RedisRevocationStore: prefix must be a non-empty string.');
    this.keys = [`${prefix}:tokens`, `${prefix}:sessions`, `${prefix}:subjects`];
    this.channel = `${prefix}:events`;
    this.oncePrefix = `${prefix}:once:`;
    this.startupTimeoutMs = positive('startupTimeoutMs', options.startupTimeoutMs ?? 10_000);
    this.commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? 2000);
    this.retryAfter = String(Math.ceil(positive('retryAfterSeconds', options.retryAfterSeconds ?? 5)));
  }

  isRevoked(claims: RevocableClaims): boolean {
    return this.local.isRevoked(claims);
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    await this.local.revokeToken(jti, expiresAt);
    await this.send([{ kind: 'token', id: jti, expiresAt: checkExpiry('revokeToken', expiresAt) }]);
  }

  async revokeSession(sid: string, expiresAt: number): Promise<void> {
    await this.local.revokeSession(sid, expiresAt);
    await this.send([{ kind: 'session', id: sid, expiresAt: checkExpiry('revokeSession', expiresAt) }]);
  }

  /** See `InMemoryRevocationStore.revokeSubject` for the `iat` boundary. */
  async revokeSubject(sub: string, issuedBefore: number, expiresAt: number): Promise<void> {
    await this.local.revokeSubject(sub, issuedBefore, expiresAt);
    await this.send([{ kind: 'subject', id: sub, issuedBefore, expiresAt: checkExpiry('revokeSubject', expiresAt) }]);
  }

  /**
   * True for the first call with this id across every instance, false after; with an `attempt`, true once
   * more for the same attempt (see `RevocationStore.consumeOnce`). Throws a 503 `SecurityHttpException` with
   * `Retry-After` while Redis is unreachable or too slow: it cannot be atomic without it. The write may still
   * land after a timeout: that is what `attempt` is for.
   */
  async consumeOnce(id: string, expiresAt: number, attempt?: string): Promise<boolean> {
    checkId('consumeOnce', 'id', id);
    const expireAt = Math.max(Math.ceil(checkExpiry('consumeOnce', expiresAt)), Math.floor(Date.now() / 1000) + 1);
    const attemptText = checkAttempt(attempt) ?? '';
    try {
      if (!this.consume) throw new Error('not connected');
      return (await this.consume(this.oncePrefix + id, String(expireAt), attemptText)) === 1;
    } catch (error) {
      this.markUnreachable(error);
      this.retryLater(); // a sync that succeeds ends the outage (and its warning) even if the connection never dropped
      throw new SecurityHttpException(503, 'The revocation store is unreachable', { 'Retry-After': this.retryAfter }, 'revocation_unavailable');
    }
  }

  /** Revocations held in this process (expired ones leave within about a minute). */
  get size(): number {
    return this.local.size;
  }

  /**
   * Opens the two connections (commands, pub/sub) and loads every revocation from Redis. The module calls it
   * at start-up; call it yourself for a store used outside Nest. Fails after `startupTimeoutMs`.
   */
  connect(): Promise<void> {
    this.connecting ??= this.open().catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
    return this.connecting;
  }

  /** Closes both connections and stops the background work. The module calls it at shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.local.close();
    for (const connection of [this.client, this.subscriber]) connection?.disconnect();
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async open(): Promise<void> {
    const overrides: RedisOptions = {
      enableOfflineQueue: false, // fail at once while disconnected, never queue a request behind an outage
      autoResubscribe: false, // subscribe again ourselves, then reload: no gap between the two
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.commandTimeoutMs,
      disconnectTimeout: 200, // close() of a connection already lost: ioredis would otherwise wait 2 s on it
      lazyConnect: false,
    };
    const { redis } = this.options;
    if (typeof redis === 'string') {
      const RedisClient = await loadIoredis();
      this.client = new RedisClient(redis, overrides);
      this.subscriber = new RedisClient(redis, overrides);
    } else {
      this.client = redis.duplicate(overrides);
      this.subscriber = redis.duplicate(overrides);
    }
    if (this.closed) return void this.close();
    this.client.defineCommand('nssRevocationWrite', { numberOfKeys: 3, lua: WRITE_SCRIPT });
    this.client.defineCommand('nssConsumeOnce', { numberOfKeys: 1, lua: CONSUME_SCRIPT });
    const client = this.client as unknown as { nssRevocationWrite: WriteCommand; nssConsumeOnce: ConsumeCommand };
    this.write = (...args) => client.nssRevocationWrite(...args);
    this.consume = (...args) => client.nssConsumeOnce(...args);

    const loaded = new Promise<void>((resolve) => (this.synced = resolve));
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error: unknown) => this.markUnreachable(error));
    }
    this.subscriber.on('close', () => (this.subscribed = false));
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    this.subscriber.on('ready', () => void this.subscribe());
    this.client.on('ready', () => void this.sync());
    if (this.subscriber.status === 'ready') void this.subscribe();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `RedisRevocationStore: could not load the revocations from Redis within ${this.startupTimeoutMs} ms ` +
                '(is Redis running and reachable?). Without them this instance would accept revoked tokens.',
            ),
          ),
        this.startupTimeoutMs,
      );
    });
    try {
      await Promise.race([loaded, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber!.subscribe(this.channel);
      this.subscribed = true;
    } catch (error) {
      this.markUnreachable(error);
      return;
    }
    await this.sync();
  }

  /** A full reload, then a write-back of what this instance holds and Redis lacks. Runs once at a time. */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain && !this.closed);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const client = this.client;
    if (this.closed || !client || client.status !== 'ready' || !this.subscribed) return;
    try {
      const now = Date.now() / 1000;
      // What Redis holds, to find what it lacks; not needed when this instance holds nothing yet (start-up).
      const inRedis = this.local.size === 0 ? undefined : KINDS.map(() => new Set<string>());
      let loaded = 0;
      for (let index = 0; index < KINDS.length; index++) {
        const kind = KINDS[index];
        let cursor = '0';
        do {
          const [next, page] = await client.zscan(this.keys[index], cursor, 'COUNT', PAGE);
          cursor = next;
          for (let i = 0; i + 1 < page.length; i += 2) {
            const entry = fromMember(kind, page[i], Number(page[i + 1]));
            if (!entry || entry.expiresAt <= now) continue;
            inRedis?.[index].add(page[i]);
            this.local.apply(entry);
            loaded++;
          }
        } while (cursor !== '0');
      }
      this.synced?.(); // loaded: start-up does not wait for the writes below (Redis may refuse writes)
      const missing: RevocationEntry[] = [];
      if (inRedis) {
        for (const entry of this.local.entries()) {
          if (entry.expiresAt > now && !inRedis[KINDS.indexOf(entry.kind)].has(memberOf(entry))) missing.push(entry);
        }
      }
      for (let i = 0; i < missing.length; i += WRITE_BATCH) await this.writeEntries(missing.slice(i, i + WRITE_BATCH));
      if (missing.length === 0) await this.writeEntries([]); // drops expired entries, refreshes the sets' TTLs
      if (this.unreachable) {
        this.unreachable = false;
        this.logger.log(`Redis is reachable again: ${loaded} revocations loaded, ${missing.length} written back.`);
      }
    } catch (error) {
      this.markUnreachable(error);
      this.retryLater();
    }
  }

  /** Sends revocations already applied here; on failure they are written back by the next sync. */
  private async send(entries: RevocationEntry[]): Promise<void> {
    if (this.closed || !this.write || this.client?.status !== 'ready') {
      this.markUnreachable(new Error('not connected'));
      return;
    }
    try {
      await this.writeEntries(entries);
    } catch (error) {
      this.markUnreachable(error);
      this.retryLater();
    }
  }

  private writeEntries(entries: readonly RevocationEntry[]): Promise<unknown> {
    const triples: string[] = [];
    for (const entry of entries) triples.push(String(KINDS.indexOf(entry.kind) + 1), String(entry.expiresAt), memberOf(entry));
    const message = entries.length === 0 ? '' : JSON.stringify(entries.map(toMessage));
    return this.write!(this.keys, String(Date.now() / 1000), this.channel, message, ...triples);
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed)) return;
    for (const item of parsed) {
      const entry = fromMessage(item);
      if (entry) this.local.apply(entry);
    }
  }

  /** Logs once per outage, without the error's details beyond its code (never a token or a URL). */
  private markUnreachable(error: unknown): void {
    if (this.closed || this.unreachable) return;
    this.unreachable = true;
    const code = (error as { code?: unknown })?.code;
    this.logger.warn(
      `Redis is unreachable (${typeof code === 'string' ? code : error instanceof Error ? error.message : 'error'}): ` +
        'revocations known here are still refused; new ones are applied here and sent when Redis is back; ' +
        'consumeOnce answers 503 meanwhile.',
    );
  }

  /** A sync that failed while the connection stayed up is retried; a reconnection syncs anyway. */
  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sync();
    }, 1000);
    this.retryTimer.unref();
  }
}

type MessageItem = [kind: 't' | 's', id: string, expiresAt: number] | [kind: 'u', id: string, expiresAt: number, issuedBefore: number];

function toMessage(entry: RevocationEntry): MessageItem {
  return entry.kind === 'subject' ? ['u', entry.id, entry.expiresAt, entry.issuedBefore] : [entry.kind === 'token' ? 't' : 's', entry.id, entry.expiresAt];
}

function fromMessage(item: unknown): RevocationEntry | undefined {
  if (!Array.isArray(item) || typeof item[1] !== 'string' || item[1] === '' || !Number.isFinite(item[2])) return undefined;
  const [kind, id, expiresAt, issuedBefore] = item as [unknown, string, number, unknown];
  if (kind === 't') return { kind: 'token', id, expiresAt };
  if (kind === 's') return { kind: 'session', id, expiresAt };
  if (kind === 'u' && typeof issuedBefore === 'number' && Number.isFinite(issuedBefore)) return { kind: 'subject', id, issuedBefore, expiresAt };
  return undefined;
}

/** The sorted-set member: the id, or `"<issuedBefore> <sub>"` for a subject. */
function memberOf(entry: RevocationEntry): string {
  return entry.kind === 'subject' ? `${entry.issuedBefore} ${entry.id}` : entry.id;
}

function fromMember(kind: Kind, member: string, expiresAt: number): RevocationEntry | undefined {
  if (!Number.isFinite(expiresAt) || member === '') return undefined;
  if (kind !== 'subject') return { kind, id: member, expiresAt };
  const space = member.indexOf(' ');
  const issuedBefore = Number(member.slice(0, space));
  if (space <= 0 || !Number.isFinite(issuedBefore) || space === member.length - 1) return undefined;
  return { kind, id: member.slice(space + 1), issuedBefore, expiresAt };
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new Error(`RedisRevocationStore: ${name} must be a positive number.`);
  return value;
}

type RedisConstructor = new (url: string, options: RedisOptions) => Redis;

/**
 * ioredis, loaded only here: an application that never creates a Redis store from a URL does not need it.
 * `require` where the module system has it (the CommonJS build, jest), `import()` in the ESM build.
 */
async function loadIoredis(): Promise<RedisConstructor> {
  let loaded: { Redis?: RedisConstructor; default?: RedisConstructor | { Redis?: RedisConstructor } };
  try {
    loaded = typeof require === 'function' ? require('ioredis') : await import('ioredis');
  } catch {
    throw new Error('RedisRevocationStore needs the ioredis package: npm install ioredis');
  }
  const candidate = loaded.Redis ?? (loaded.default as { Redis?: RedisConstructor } | undefined)?.Redis ?? loaded.default;
  if (typeof candidate !== 'function') throw new Error('RedisRevocationStore: the installed ioredis exports no Redis client class.');
  return candidate as RedisConstructor;
}
