import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  AckStatus,
  Collector,
  encode,
  methodPath,
  PublishRequestSchema,
  PublishResponseSchema,
  type Ack,
  type PayloadKind,
  type PublishResponse,
  type Welcome,
} from '../../common/proto.js';

/**
 * One generator's Publish session, as a vRouter agent would run it: Hello with the process epoch,
 * sequenced batches, at most `max_in_flight` unacked batches, acks matched by seq in any order,
 * and after a reconnect (exponential backoff) every unacked batch resent byte-for-byte with the same
 * epoch and seq, so the collector can store it once. Batches of every payload kind share the stream
 * and its seq numbers; the counters are kept per kind as well.
 */

/** The path gRPC calls Collector.Publish by. */
const PUBLISH = methodPath(Collector.method.publish);

/** What a session sends: an encoded PublishRequest{batch} for `seq`. */
export interface OutgoingBatch {
  seq: number;
  payload: Buffer;
  records: number;
  /** Indexes the sender knows to be malformed: the ones a DUPLICATE ack stored nothing of either. */
  invalid?: number[];
  /** The payload the batch carries; absent means flows. */
  kind?: PayloadKind;
}

export interface BatchSource<B extends OutgoingBatch> {
  /** The batch for `seq` (≤ maxRecords), a delay in ms before asking again, or null for "nothing now". */
  next(seq: number, maxRecords: number): B | number | null;
}

/** The final answer for a batch: what was stored (or had been), and which indexes were not. */
export interface BatchOutcome {
  status: 'ok' | 'duplicate' | 'invalid';
  accepted: number;
  rejected: number[];
}

/** Record counts, per payload kind and in total. */
export interface RecordCounters {
  sent: number; // records sent the first time
  resent: number; // records sent again after a reconnect or an UNAVAILABLE ack
  acked: number; // records stored (OK minus rejections, and DUPLICATE ones)
  rejected: number;
  duplicates: number;
}

export interface SessionCounters extends RecordCounters {
  batchesSent: number;
  reconnects: number;
}

const zeroRecords = (): RecordCounters => ({ sent: 0, resent: 0, acked: 0, rejected: 0, duplicates: 0 });

export interface SessionOptions<B extends OutgoingBatch> {
  target: string;
  generator: string;
  token?: string;
  epoch: number;
  source: BatchSource<B>;
  onOutcome?: (batch: B, outcome: BatchOutcome) => void;
  /** Upper bound on records per batch; the Welcome may lower it. */
  maxBatchRecords?: number;
  /** Cancel the stream abruptly after every n-th batch written, without waiting for acks. */
  dropConnectionEvery?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Delay before resending a batch acked UNAVAILABLE. */
  retryMs?: number;
  onFatal?: (err: Error) => void;
  /** A new stream was welcomed after an earlier one was lost: a generator resends its state then. */
  onReconnected?: () => void;
  clientOptions?: grpc.ClientOptions;
}

/** Status codes a reconnect cannot fix: the session gives up and reports them. */
const FATAL = new Set([
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
]);

const deserialize = (buf: Buffer): PublishResponse => fromBinary(PublishResponseSchema, buf);

const identity = (buf: Buffer): Buffer => buf;

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

export class GeneratorSession<B extends OutgoingBatch> {
  readonly counters: SessionCounters = {
    sent: 0,
    resent: 0,
    acked: 0,
    rejected: 0,
    duplicates: 0,
    batchesSent: 0,
    reconnects: 0,
  };
  private readonly byKind = new Map<PayloadKind, RecordCounters>();
  private readonly client: grpc.Client;
  private readonly hello: Buffer;
  private readonly unacked = new Map<number, B>();
  private readonly written = new Set<number>(); // unacked seqs written at least once: tells resends apart
  private readonly inFlight = new Set<number>(); // written on the current stream, not yet acked
  private toSend: B[] = []; // unacked batches to (re)write on the current stream, by seq
  private call: grpc.ClientDuplexStream<Buffer, PublishResponse> | undefined;
  private connection = 0;
  private state: State = 'idle';
  private nextSeq = 1;
  private window = 1;
  private maxRecords: number;
  private attempt = 0;
  private waitingDrain = false;
  private wasWelcomed = false;
  private lastFailure: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pumpTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: SessionOptions<B>) {
    this.client = new grpc.Client(options.target, grpc.credentials.createInsecure(), options.clientOptions);
    this.maxRecords = options.maxBatchRecords ?? 1000;
    this.hello = encode(PublishRequestSchema, {
      message: {
        case: 'hello',
        value: { generator: options.generator, token: options.token ?? '', epoch: BigInt(options.epoch) },
      },
    });
  }

  start(): void {
    if (this.state === 'idle') this.connect();
  }

  /** Ask the session to pull from its source again (e.g. when the run's budget grew back). */
  kick(): void {
    this.pump();
  }

  /** Whether a collector has welcomed one of this session's streams yet. */
  get welcomed(): boolean {
    return this.wasWelcomed;
  }

  /** Why the last stream failed, if one did: what a run that never got through reports. */
  get lastError(): string | undefined {
    return this.lastFailure;
  }

  get pending(): number {
    return this.unacked.size;
  }

  /** The counters of one payload kind (zeros if none was sent). */
  countersOf(kind: PayloadKind): RecordCounters {
    return { ...(this.byKind.get(kind) ?? zeroRecords()) };
  }

  /**
   * Closes the stream at once, as a generator that lost its collector, and reconnects only after
   * `ms`; unacked batches are resent then, as after any reconnect.
   */
  disconnectFor(ms: number): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    const call = this.call;
    this.connection++; // events of the old stream are now ignored
    call?.cancel();
    this.call = undefined;
    this.state = 'backoff';
    this.inFlight.clear();
    this.counters.reconnects++;
    this.reconnectAfter(ms);
  }

  /** Resolves once every batch handed out so far has its final ack. */
  whenIdle(): Promise<void> {
    if (this.unacked.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Half-closes the stream (after which the server ends it) and releases the channel. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const t of this.timers) clearTimeout(t);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const call = this.call;
    this.call = undefined;
    if (call) await endCall(call, this.unacked.size > 0);
    this.client.close();
  }

  private connect(): void {
    if (this.state === 'closed') return;
    const id = ++this.connection;
    const call = this.client.makeBidiStreamRequest<Buffer, PublishResponse>(PUBLISH, identity, deserialize);
    this.call = call;
    this.state = 'connecting';
    this.inFlight.clear();
    this.waitingDrain = false;
    call.on('data', (msg: PublishResponse) => id === this.connection && this.onMessage(msg));
    call.on('error', (err: grpc.ServiceError) => id === this.connection && this.onStreamError(err));
    call.on('end', () => id === this.connection && this.onDisconnect(false));
    call.write(this.hello);
  }

  private onMessage({ message }: PublishResponse): void {
    if (message.case === 'welcome') this.onWelcome(message.value);
    else if (message.case === 'ack') this.onAck(message.value);
  }

  private onWelcome(w: Welcome): void {
    this.window = Math.max(1, w.maxInFlight || 1);
    if (w.maxBatchRecords > 0) this.maxRecords = Math.min(this.maxRecords, w.maxBatchRecords);
    this.state = 'ready';
    this.attempt = 0;
    // Everything unacked goes again, oldest first: acks of the old stream are lost with it.
    this.toSend = [...this.unacked.values()].sort((a, b) => a.seq - b.seq);
    if (this.wasWelcomed) this.options.onReconnected?.();
    this.wasWelcomed = true;
    this.pump();
  }

  private onAck(ack: Ack): void {
    const seq = Number(ack.seq);
    const batch = this.unacked.get(seq);
    if (!batch) return; // a late or repeated ack: that batch is settled already
    this.inFlight.delete(seq);
    if (ack.status === AckStatus.UNAVAILABLE || !isFinal(ack.status)) {
      this.retryLater(batch);
    } else {
      this.unacked.delete(seq);
      this.written.delete(seq);
      this.settle(batch, ack);
      if (this.unacked.size === 0) this.releaseIdle();
    }
    this.pump();
  }

  private settle(batch: B, ack: Ack): void {
    let outcome: BatchOutcome;
    let duplicates = 0;
    if (ack.status === AckStatus.INVALID) {
      outcome = { status: 'invalid', accepted: 0, rejected: range(batch.records) };
    } else if (ack.status === AckStatus.DUPLICATE) {
      // Stored by an earlier attempt whose ack we lost; its rejections were ours to predict.
      const rejected = ack.rejections.length > 0 ? ack.rejections.map((r) => r.index) : (batch.invalid ?? []);
      outcome = { status: 'duplicate', accepted: batch.records - rejected.length, rejected };
      duplicates = batch.records;
    } else {
      const rejected = [...new Set(ack.rejections.map((r) => r.index))];
      outcome = { status: 'ok', accepted: batch.records - rejected.length, rejected };
    }
    this.count(batch, (c) => {
      c.duplicates += duplicates;
      c.rejected += outcome.rejected.length;
      c.acked += outcome.accepted;
    });
    this.options.onOutcome?.(batch, outcome);
  }

  /** Applies a change to the session's counters and to those of the batch's kind. */
  private count(batch: B, change: (c: RecordCounters) => void): void {
    const kind = batch.kind ?? 'flows';
    let own = this.byKind.get(kind);
    if (!own) this.byKind.set(kind, (own = zeroRecords()));
    change(this.counters);
    change(own);
  }

  private retryLater(batch: B): void {
    this.schedule(this.options.retryMs ?? 200, () => {
      if (this.unacked.has(batch.seq) && !this.inFlight.has(batch.seq) && !this.toSend.includes(batch)) {
        this.toSend.push(batch);
        this.toSend.sort((a, b) => a.seq - b.seq);
        this.pump();
      }
    });
  }

  /** Writes resends first, then new batches, while the window and the stream's buffer allow. */
  private pump(): void {
    while (this.state === 'ready' && !this.waitingDrain && this.inFlight.size < this.window) {
      const resend = this.toSend.shift();
      const batch = resend ?? this.take();
      if (!batch) return;
      this.write(batch);
      // Only new batches count, or a window of resends could trip the drop on every reconnect.
      if (!resend && this.shouldDrop()) return this.dropConnection();
    }
  }

  private take(): B | undefined {
    if (this.unacked.size >= this.window) return undefined;
    const next = this.options.source.next(this.nextSeq, this.maxRecords);
    if (next === null) return undefined;
    if (typeof next === 'number') {
      if (!this.pumpTimer) {
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, next);
      }
      return undefined;
    }
    this.nextSeq++;
    this.unacked.set(next.seq, next);
    this.count(next, (c) => (c.sent += next.records));
    return next;
  }

  private write(batch: B): void {
    const call = this.call;
    if (!call) return;
    if (this.written.has(batch.seq)) this.count(batch, (c) => (c.resent += batch.records));
    else this.written.add(batch.seq);
    this.inFlight.add(batch.seq);
    this.counters.batchesSent++;
    if (!call.write(batch.payload)) {
      this.waitingDrain = true;
      const id = this.connection;
      call.once('drain', () => {
        if (id !== this.connection) return;
        this.waitingDrain = false;
        this.pump();
      });
    }
  }

  private shouldDrop(): boolean {
    const every = this.options.dropConnectionEvery ?? 0;
    return every > 0 && (this.nextSeq - 1) % every === 0;
  }

  /** Forced failure for tests: the stream dies with batches in flight and acks unread. */
  private dropConnection(): void {
    const call = this.call;
    this.connection++; // events of the old stream are now ignored
    call?.cancel();
    this.onDisconnect(true);
  }

  private onStreamError(err: grpc.ServiceError): void {
    this.lastFailure = err.details || err.message;
    if (FATAL.has(err.code)) {
      this.connection++;
      this.options.onFatal?.(new Error(`${this.options.generator}: ${err.details || err.message}`));
      return;
    }
    this.onDisconnect(false);
  }

  private onDisconnect(forced: boolean): void {
    if (this.state === 'closed') return;
    this.connection++;
    this.call = undefined;
    this.state = 'backoff';
    this.inFlight.clear();
    this.counters.reconnects++;
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 100, maxMs: 5000 };
    // A forced drop is a test of resending, not of backoff: reconnect at once.
    const delay = forced ? 0 : Math.min(maxMs, initialMs * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.reconnectAfter(delay);
  }

  /** One pending reconnect at most: a later disconnect replaces the earlier plan. */
  private reconnectAfter(ms: number): void {
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.timers.delete(this.reconnectTimer);
    }
    this.reconnectTimer = this.schedule(ms, () => {
      this.reconnectTimer = undefined;
      this.connect();
    });
  }

  private schedule(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private releaseIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}

const isFinal = (status: AckStatus): boolean =>
  status === AckStatus.OK || status === AckStatus.DUPLICATE || status === AckStatus.INVALID;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Half-close, then give the server a moment to end the stream before cancelling it. */
function endCall(call: grpc.ClientDuplexStream<Buffer, PublishResponse>, abrupt: boolean): Promise<void> {
  call.removeAllListeners('data');
  call.on('error', () => undefined);
  if (abrupt) {
    call.cancel();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      call.cancel();
      resolve();
    }, 1000);
    call.on('status', () => {
      clearTimeout(timer);
      resolve();
    });
    call.end();
  });
}
