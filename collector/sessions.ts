import { FabricError } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import { gauge } from '../common/metrics.js';
import type { GeneratorEvent } from './generator-events.js';

/** Withdrawals follow from requests (Hello, hang-up): rate-limited, so a storm cannot flood the log. */
const log = rateLimited(logger('collector'));

export type GeneratorStatus = 'connected' | 'disconnected' | 'withdrawn';

/** One generator's Publish stream as the collector tracks it; the warehouse keeps its events. */
export interface GeneratorSession {
  generator: string;
  epoch: number;
  status: GeneratorStatus;
  peer: string;
  /** The token it presented (collector/credentials.ts); '' without tokens. */
  credential: string;
}

const connected = gauge(
  'fabricscope_collector_generators_connected',
  'Generators with an open Publish stream',
);
const openStreams = gauge(
  'fabricscope_collector_streams_open',
  'Publish streams past their Hello and not yet closed (bounded by --max-streams)',
);

export interface SessionOptions {
  /** How long a disconnected generator's UVEs stay before they are withdrawn. */
  graceMs: number;
  /** Where connects, disconnects and withdrawals are reported (the bus, for the warehouse). */
  report: (event: GeneratorEvent) => Promise<void>;
  /** Open streams in all (--max-streams); none: unbounded. */
  maxStreams?: number;
  /** Open streams from one peer address, whatever its port (--max-streams-per-peer); none: unbounded. */
  maxStreamsPerPeer?: number;
}

/** What the sessions hold in memory, entry counts by map: each is bounded by the live streams or the grace. */
export interface SessionSizes {
  generators: number;
  streams: number;
  peers: number;
  pendingWithdrawals: number;
}

/**
 * The generators this collector has heard from, by identity (source:node_type:module:instance_id).
 * As in Tungsten Fabric, a generator that went away has its UVE parts withdrawn, here after a grace
 * period so that a quick reconnect (which resends the state) does not flap every UVE it feeds. A
 * withdrawn generator is forgotten: its events are in the warehouse (`generators`), and keeping it
 * would let Hello-then-hang-up streams under ever new names grow this process without bound.
 */
export class Sessions {
  /** Connected generators and disconnected ones within their grace period. */
  private readonly byGenerator = new Map<string, GeneratorSession>();
  /** Every open stream of a generator: a replaced stream may still be open. */
  private readonly streams = new Map<string, Set<GeneratorSession>>();
  private readonly withdrawals = new Map<string, NodeJS.Timeout>();
  /** Open streams by peer address, for --max-streams-per-peer. */
  private readonly byPeer = new Map<string, number>();
  private openCount = 0;

  constructor(private readonly options: SessionOptions) {}

  /**
   * A new stream replaces the generator's current one only under the same credential, so nobody can
   * take over (or, by hanging up, withdraw) a connected generator with another token. Over
   * --max-streams, or --max-streams-per-peer from its address, it is refused RESOURCE_EXHAUSTED.
   */
  open(generator: string, epoch: number, peer: string, credential = ''): GeneratorSession {
    const current = this.byGenerator.get(generator);
    if (current?.status === 'connected' && current.credential !== credential) {
      throw new FabricError(
        'PERMISSION_DENIED',
        `generator ${generator} is connected under another credential`,
      );
    }
    this.checkCapacity(peerAddress(peer));
    clearTimeout(this.withdrawals.get(generator));
    this.withdrawals.delete(generator);
    const session: GeneratorSession = { generator, epoch, status: 'connected', peer, credential };
    this.byGenerator.set(generator, session);
    this.streams.set(generator, (this.streams.get(generator) ?? new Set()).add(session));
    this.countStream(session, +1);
    this.report(session, 'CONNECTED');
    return session;
  }

  /** Idempotent: a stream reports its end through several events. */
  close(session: GeneratorSession): void {
    const open = this.streams.get(session.generator);
    if (!open?.delete(session)) return;
    if (open.size === 0) this.streams.delete(session.generator);
    this.countStream(session, -1);
    // Another stream of the generator is still open: it carries on, the generator stays connected.
    const remaining = [...open].at(-1);
    if (remaining) {
      if (this.byGenerator.get(session.generator) === session)
        this.byGenerator.set(session.generator, remaining);
      return;
    }
    if (this.byGenerator.get(session.generator) !== session) return;
    session.status = 'disconnected';
    this.report(session, 'DISCONNECTED');
    const timer = setTimeout(() => this.withdraw(session), this.options.graceMs);
    this.withdrawals.set(session.generator, timer.unref());
  }

  /** Stops pending withdrawals: a collector going down says nothing of its generators' state. */
  stop(): void {
    for (const timer of this.withdrawals.values()) clearTimeout(timer);
    this.withdrawals.clear();
  }

  /** The generators connected or within their grace period. */
  list(status?: GeneratorStatus): GeneratorSession[] {
    return [...this.byGenerator.values()].filter((s) => !status || s.status === status);
  }

  sizes(): SessionSizes {
    return {
      generators: this.byGenerator.size,
      streams: this.openCount,
      peers: this.byPeer.size,
      pendingWithdrawals: this.withdrawals.size,
    };
  }

  private checkCapacity(address: string): void {
    const { maxStreams = Infinity, maxStreamsPerPeer = Infinity } = this.options;
    if (this.openCount >= maxStreams)
      throw new FabricError(
        'RESOURCE_EXHAUSTED',
        `the collector has ${this.openCount} open streams, its limit (--max-streams); retry later`,
      );
    const fromPeer = this.byPeer.get(address) ?? 0;
    if (fromPeer >= maxStreamsPerPeer)
      throw new FabricError(
        'RESOURCE_EXHAUSTED',
        `${address} has ${fromPeer} open streams, the limit per peer (--max-streams-per-peer); retry later`,
      );
  }

  /** After the generator's streams changed: the counts behind the limits and the gauges. */
  private countStream(session: GeneratorSession, delta: 1 | -1): void {
    const address = peerAddress(session.peer);
    const fromPeer = (this.byPeer.get(address) ?? 0) + delta;
    if (fromPeer > 0) this.byPeer.set(address, fromPeer);
    else this.byPeer.delete(address);
    this.openCount += delta;
    openStreams.set(this.openCount);
    connected.set(this.streams.size);
  }

  private withdraw(session: GeneratorSession): void {
    this.withdrawals.delete(session.generator);
    if (this.byGenerator.get(session.generator) !== session) return;
    this.byGenerator.delete(session.generator);
    session.status = 'withdrawn';
    log.info(
      session.generator,
      { generator: session.generator, graceMs: this.options.graceMs },
      'generator withdrawn',
    );
    this.report(session, 'WITHDRAWN');
  }

  private report(session: GeneratorSession, event: GeneratorEvent['event']): void {
    const { generator, epoch, peer } = session;
    void this.options.report({ generator, epoch, peer, event });
  }
}

/** A gRPC peer (ipv4:10.0.0.1:5000, ipv6:[::1]:5000) without its port: one host's streams share it. */
export function peerAddress(peer: string): string {
  return peer.replace(/:\d+$/, '');
}

/** The longest generator id, in bytes (as Tungsten Fabric bounds it). */
export const MAX_GENERATOR_ID_BYTES = 255;

/** Generator identity as Tungsten Fabric writes it: source:node_type:module:instance_id. */
export function checkGeneratorId(generator: string): string | undefined {
  const bytes = Buffer.byteLength(generator);
  if (bytes > MAX_GENERATOR_ID_BYTES) {
    return `generator id of ${bytes} bytes; at most ${MAX_GENERATOR_ID_BYTES} (source:node_type:module:instance_id)`;
  }
  const parts = generator.split(':');
  if (parts.length !== 4 || parts.some((p) => p.trim() === '')) {
    return `generator "${generator}" is not source:node_type:module:instance_id`;
  }
  return undefined;
}
