import { errorMessage } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import { printedAddress } from '../../common/schema/addresses.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';

const limited = rateLimited(logger('streams'));

/** The workload an address of a virtual network belongs to (pod or VM, namespace or project, labels). */
export interface Identity {
  workload: string;
  namespace: string;
  labels: Record<string, string>;
}

/** How often the identities are read again: the workload_by_ip dictionary's own lifetime, at most. */
const REFRESH_MS = 10_000;

/**
 * The workload identities the writer enriches stored flows with, for the live flow streams: the
 * warehouse's workload_by_ip dictionary, read whole while a flow stream is open and again every
 * REFRESH_MS, so a live flow names the workloads the stored one does (a workload seen in the last
 * seconds may be named only once the dictionary has it, as in the warehouse). One read for every
 * stream; none while no flow stream is open.
 */
export class Identities {
  private byKey = new Map<string, Identity>();
  private users = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly warehouse: Warehouse) {}

  readonly lookup = (vn: string, address: string): Identity | undefined =>
    this.byKey.get(`${vn}\0${address}`);

  /** A flow stream opens: the identities are read now (failures leave flows unnamed, logged). */
  async acquire(): Promise<void> {
    if (this.users++ > 0) return;
    this.timer = setInterval(() => void this.load(), REFRESH_MS).unref();
    await this.load();
  }

  release(): void {
    if (--this.users > 0) return;
    clearInterval(this.timer);
    this.byKey = new Map();
  }

  private async load(): Promise<void> {
    try {
      const rows = await this.warehouse.query<{ vn: string; ip: string } & Identity>(
        `SELECT virtual_network AS vn, ${printedAddress('ip')} AS ip, workload, namespace, labels
         FROM dictionary('workload_by_ip')`,
      );
      if (this.users === 0) return;
      this.byKey = new Map(rows.map(({ vn, ip, ...identity }) => [`${vn}\0${ip}`, identity]));
    } catch (err) {
      limited.warn('identities', { err: errorMessage(err) }, 'live flows: workload identities not read');
    }
  }
}
