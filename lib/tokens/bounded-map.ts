/** An entry, linked in recency order (least recently used first). */
interface Node<K, V> {
  readonly key: K;
  value: V;
  expiresAt: number;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
}

/**
 * A Map of at most `max` entries, each kept `ttlMs` at most (or until the time given to `set`); beyond `max`,
 * the least recently used entry goes first. Recency is a doubly linked list beside the Map: a hit relinks its
 * node in O(1) and leaves the Map alone. (Moving an entry to the end of a Map by delete and set, or finding the
 * oldest with `keys().next()`, costs time in proportion to the Map's size in V8: 30 µs per hit at 10,000 entries.)
 */
export class BoundedMap<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  /** The least recently used entry: the next to go. */
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;

  constructor(
    private readonly max: number,
    private readonly ttlMs = Number.POSITIVE_INFINITY,
  ) {}

  get(key: K): V | undefined {
    const node = this.nodes.get(key);
    if (node === undefined) return undefined;
    if (node.expiresAt <= Date.now()) {
      this.remove(node);
      return undefined;
    }
    this.touch(node);
    return node.value;
  }

  /** Remembers `value` until `expiresAt` (ms since the epoch), by default `ttlMs` from now. */
  set(key: K, value: V, expiresAt = Date.now() + this.ttlMs): void {
    const existing = this.nodes.get(key);
    if (existing !== undefined) {
      existing.value = value;
      existing.expiresAt = expiresAt;
      this.touch(existing);
      return;
    }
    if (this.nodes.size >= this.max && this.oldest !== undefined) this.remove(this.oldest);
    const node: Node<K, V> = { key, value, expiresAt, older: this.newest, newer: undefined };
    if (this.newest !== undefined) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
    this.nodes.set(key, node);
  }

  delete(key: K): void {
    const node = this.nodes.get(key);
    if (node !== undefined) this.remove(node);
  }

  clear(): void {
    this.nodes.clear();
    this.oldest = this.newest = undefined;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Makes `node` the most recently used. */
  private touch(node: Node<K, V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    node.older = this.newest;
    node.newer = undefined;
    this.newest!.newer = node;
    this.newest = node;
  }

  private remove(node: Node<K, V>): void {
    this.unlink(node);
    this.nodes.delete(node.key);
  }

  private unlink(node: Node<K, V>): void {
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.newest = node.older;
  }
}
