import { gauge } from '../common/metrics.js';

export type GeneratorStatus = 'connected' | 'disconnected';

/** What the collector knows of one generator, served by the query API. */
export interface GeneratorSession {
  generator: string;
  epoch: number;
  status: GeneratorStatus;
  peer: string;
  connectedAt: Date;
  lastSeen: Date;
  batches: number;
  records: number;
  rejected: number;
}

const connected = gauge(
  'fabricscope_collector_generators_connected',
  'Generators with an open Publish stream',
);

/** The generators this collector has heard from, by identity (source:node_type:module:instance_id). */
export class Sessions {
  private readonly byGenerator = new Map<string, GeneratorSession>();

  open(generator: string, epoch: number, peer: string): GeneratorSession {
    const now = new Date();
    const session: GeneratorSession = {
      generator,
      epoch,
      status: 'connected',
      peer,
      connectedAt: now,
      lastSeen: now,
      batches: 0,
      records: 0,
      rejected: 0,
    };
    this.byGenerator.set(generator, session);
    this.updateGauge();
    return session;
  }

  close(session: GeneratorSession): void {
    // A newer stream of the same generator may have replaced this one already.
    if (this.byGenerator.get(session.generator) !== session) return;
    session.status = 'disconnected';
    this.updateGauge();
  }

  list(status?: GeneratorStatus): GeneratorSession[] {
    return [...this.byGenerator.values()].filter((s) => !status || s.status === status);
  }

  private updateGauge(): void {
    connected.set(this.list('connected').length);
  }
}

/** Generator identity as Tungsten Fabric writes it: source:node_type:module:instance_id. */
export function checkGeneratorId(generator: string): string | undefined {
  const parts = generator.split(':');
  if (parts.length !== 4 || parts.some((p) => p.trim() === '')) {
    return `generator "${generator}" is not source:node_type:module:instance_id`;
  }
  return undefined;
}
