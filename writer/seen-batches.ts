import type { BatchId } from '../common/bus/envelope.js';

/**
 * Which batches of each (generator, epoch) have been stored, kept small: every seq up to a watermark,
 * plus the seqs seen above it. Senders resend only the few batches still unacked, so a gap lagging
 * more than `horizon` seqs behind the newest one will never be filled and the watermark passes it.
 */
class SeqWindow {
  private watermark = -1;
  private readonly above = new Set<number>();
  lastUsed = Date.now();

  constructor(private readonly horizon: number) {}

  has(seq: number): boolean {
    return seq <= this.watermark || this.above.has(seq);
  }

  add(seq: number): void {
    this.lastUsed = Date.now();
    if (this.has(seq)) return;
    this.above.add(seq);
    while (this.above.delete(this.watermark + 1)) this.watermark++;
    if (this.above.size > this.horizon) this.skipOldGaps();
  }

  private skipOldGaps(): void {
    const sorted = [...this.above].sort((a, b) => a - b);
    this.watermark = sorted[sorted.length - this.horizon]! - 1;
    for (const seq of sorted) if (seq <= this.watermark) this.above.delete(seq);
    while (this.above.delete(this.watermark + 1)) this.watermark++;
  }
}

export class SeenBatches {
  private readonly windows = new Map<string, SeqWindow>();

  constructor(
    private readonly horizon = 1024,
    private readonly maxIdleMs = 24 * 3600e3,
  ) {}

  has(id: BatchId): boolean {
    return this.windows.get(key(id))?.has(id.seq) ?? false;
  }

  add(id: BatchId): void {
    const k = key(id);
    let window = this.windows.get(k);
    if (!window) this.windows.set(k, (window = new SeqWindow(this.horizon)));
    window.add(id.seq);
  }

  /** Forgets generators' epochs not heard of for maxIdleMs (a restarted sender starts a new epoch). */
  prune(now = Date.now()): void {
    for (const [k, window] of this.windows)
      if (now - window.lastUsed > this.maxIdleMs) this.windows.delete(k);
  }
}

const key = (id: BatchId): string => `${id.epoch}|${id.generator}`;
