// The reporter's bounded buffer: findings and command updates wait here, in the order they
// happened, until the aggregator acknowledges the message that carried them. A full buffer drops
// its oldest entry, so memory stays bounded however long the aggregator is away.

/** One buffered item and where it last went out. */
export interface OutboxEntry<T> {
  readonly item: T;
  /** Seq of the message that last carried it; undefined until it is first sent. */
  seq: number | undefined;
  /** The stream (round) it was last sent on; 0 = never sent. */
  round: number;
}

export class Outbox<T> {
  readonly limit: number;
  /** Insertion order is the order items happened (a Map keeps it and deletes in O(1)). */
  private readonly entries = new Map<number, OutboxEntry<T>>();
  /** seq of the latest send → entry key; an ack removes the entry. */
  private readonly bySeq = new Map<number, number>();
  private readonly keyOf = new WeakMap<OutboxEntry<T>, number>();
  private nextKey = 1;
  private droppedTotal = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`outbox limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Items dropped since the outbox was made (overflow, or `drop`). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Appends an item; returns the items dropped to make room, oldest first (usually none). */
  push(item: T): T[] {
    const dropped: T[] = [];
    while (this.entries.size >= this.limit) {
      const oldest = this.entries.values().next();
      if (oldest.done) break;
      dropped.push(oldest.value.item);
      this.remove(oldest.value);
      this.droppedTotal++;
    }
    const key = this.nextKey++;
    const entry: OutboxEntry<T> = { item, seq: undefined, round: 0 };
    this.entries.set(key, entry);
    this.keyOf.set(entry, key);
    return dropped;
  }

  /** Every buffered entry, oldest first. */
  all(): OutboxEntry<T>[] {
    return [...this.entries.values()];
  }

  /** Entries not yet sent on stream `round`, oldest first. */
  unsent(round: number): OutboxEntry<T>[] {
    const out: OutboxEntry<T>[] = [];
    for (const e of this.entries.values()) if (e.round !== round) out.push(e);
    return out;
  }

  /** Records that `entry` went out as message `seq` on stream `round`; only the latest seq is acked. */
  markSent(entry: OutboxEntry<T>, seq: number, round: number): void {
    const key = this.keyOf.get(entry);
    if (key === undefined || !this.entries.has(key)) return;
    if (entry.seq !== undefined) this.bySeq.delete(entry.seq);
    entry.seq = seq;
    entry.round = round;
    this.bySeq.set(seq, key);
  }

  /** The aggregator persisted message `seq`: its item leaves the outbox and is returned. Unknown seqs are ignored. */
  ack(seq: number): T | undefined {
    const key = this.bySeq.get(seq);
    if (key === undefined) return undefined;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.bySeq.delete(seq);
      return undefined;
    }
    this.remove(entry);
    return entry.item;
  }

  /** Removes an entry that can never be sent (e.g. it does not encode); counted as dropped. */
  drop(entry: OutboxEntry<T>): void {
    const key = this.keyOf.get(entry);
    if (key === undefined || !this.entries.has(key)) return;
    this.remove(entry);
    this.droppedTotal++;
  }

  private remove(entry: OutboxEntry<T>): void {
    const key = this.keyOf.get(entry);
    if (key !== undefined) this.entries.delete(key);
    if (entry.seq !== undefined && this.bySeq.get(entry.seq) === key) this.bySeq.delete(entry.seq);
  }
}
