import { FabricError } from '../common/errors.js';
import { logger } from '../common/log.js';
import { gauge } from '../common/metrics.js';
import type { GeneratorEvent } from './generator-events.js';

const log = logger('collector');

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

export interface SessionOptions {
  /** How long a disconnected generator's UVEs stay before they are withdrawn. */
  graceMs: number;
  /** Where connects, disconnects and withdrawals are reported (the bus, for the warehouse). */
  report: (event: GeneratorEvent) => Promise<void>;
}

/**
 * The generators this collector has heard from, by identity (source:node_type:module:instance_id).
 * As in Tungsten Fabric, a generator that went away has its UVE parts withdrawn, here after a grace
 * period so that a quick reconnect (which resends the state) does not flap every UVE it feeds.
 */
export class Sessions {
  private readonly byGenerator = new Map<string, GeneratorSession>();
  /** Every open stream of a generator: a replaced stream may still be open. */
  private readonly streams = new Map<string, Set<GeneratorSession>>();
  private readonly withdrawals = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: SessionOptions) {}

  /**
   * A new stream replaces the generator's current one only under the same credential, so nobody can
   * take over (or, by hanging up, withdraw) a connected generator with another token.
   */
  open(generator: string, epoch: number, peer: string, credential = ''): GeneratorSession {
    const current = this.byGenerator.get(generator);
    if (current?.status === 'connected' && current.credential !== credential) {
      throw new FabricError(
        'PERMISSION_DENIED',
        `generator ${generator} is connected under another credential`,
      );
    }
    clearTimeout(this.withdrawals.get(generator));
    this.withdrawals.delete(generator);
    const session: GeneratorSession = { generator, epoch, status: 'connected', peer, credential };
    this.byGenerator.set(generator, session);
    this.streams.set(generator, (this.streams.get(generator) ?? new Set()).add(session));
    this.updateGauge();
    this.report(session, 'CONNECTED');
    return session;
  }

  close(session: GeneratorSession): void {
    const open = this.streams.get(session.generator);
    open?.delete(session);
    // Another stream of the generator is still open: it carries on, the generator stays connected.
    const remaining = open && [...open].at(-1);
    if (remaining) {
      if (this.byGenerator.get(session.generator) === session)
        this.byGenerator.set(session.generator, remaining);
      return;
    }
    this.streams.delete(session.generator);
    if (this.byGenerator.get(session.generator) !== session) return;
    session.status = 'disconnected';
    this.updateGauge();
    this.report(session, 'DISCONNECTED');
    const timer = setTimeout(() => this.withdraw(session), this.options.graceMs);
    this.withdrawals.set(session.generator, timer.unref());
  }

  /** Stops pending withdrawals: a collector going down says nothing of its generators' state. */
  stop(): void {
    for (const timer of this.withdrawals.values()) clearTimeout(timer);
    this.withdrawals.clear();
  }

  list(status?: GeneratorStatus): GeneratorSession[] {
    return [...this.byGenerator.values()].filter((s) => !status || s.status === status);
  }

  private withdraw(session: GeneratorSession): void {
    this.withdrawals.delete(session.generator);
    if (this.byGenerator.get(session.generator) !== session) return;
    session.status = 'withdrawn';
    log.info({ generator: session.generator, graceMs: this.options.graceMs }, 'generator withdrawn');
    this.report(session, 'WITHDRAWN');
  }

  private report(session: GeneratorSession, event: GeneratorEvent['event']): void {
    const { generator, epoch, peer } = session;
    void this.options.report({ generator, epoch, peer, event });
  }

  private updateGauge(): void {
    connected.set(this.list('connected').length);
  }
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
