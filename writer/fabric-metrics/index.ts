import { fromBinary } from '@bufbuild/protobuf';
import { Counter, type Registry } from 'prom-client';
import type { TopicKind } from '../../common/bus/bus.js';
import type { BusBatchHeader } from '../../common/bus/envelope.js';
import { errorMessage } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import { registry as processRegistry } from '../../common/metrics.js';
import { GeneratorEventSchema } from '../../common/proto.js';
import { forEachRecord } from '../../common/wire/frames.js';
import { readUveRecord, uveIdentityOf } from '../../common/wire/uve-update.js';
import type { LabelContexts } from './config.js';
import { FabricState, readsStruct, type StateGauges } from './fabric-state.js';
import { flowGroups } from './flows.js';
import { CappedCounter, EntityGauge, overflowCounter, type SeriesOptions } from './series.js';

const log = rateLimited(logger('fabric-metrics'));

export interface FabricMetricsConfig {
  fabricMetricsLabels: LabelContexts;
  fabricMetricsMaxSeries: number;
}

/** A batch the writer stored: its header and where its records are in the bus message. */
export interface StoredBatch {
  header: BusBatchHeader;
  value: Buffer;
  start: number;
  end: number;
}

/**
 * The fabric as Prometheus metrics, derived from the batches the writer stores (each once, however
 * often a generator resent it): flows and bytes by vRouter, action, direction and drop reason; the
 * vRouters, control nodes and generators as their UVEs and session events describe them. Each metric
 * exports the labels its context keeps, in at most --fabric-metrics-max-series series.
 */
export class FabricMetrics {
  private readonly flows: CappedCounter;
  private readonly flowBytes: CappedCounter;
  private readonly state: FabricState;
  private readonly unreadable: Counter<'topic'>;
  private readonly names: string[] = [];

  constructor(
    config: FabricMetricsConfig,
    private readonly registry: Registry = processRegistry,
  ) {
    const labels = config.fabricMetricsLabels;
    const options: SeriesOptions = {
      registry,
      maxSeries: config.fabricMetricsMaxSeries,
      overflow: overflowCounter(registry),
    };
    this.unreadable = new Counter({
      name: 'fabricscope_fabric_unreadable_batches_total',
      help: 'Stored batches the fabric metrics could not read (logged), by topic: they are stored, but not counted',
      labelNames: ['topic'],
      registers: [registry],
    });
    const counter = (name: string, help: string, kept: readonly string[]) => {
      this.names.push(name);
      return new CappedCounter(name, help, kept, options);
    };
    const gauge = (name: string, help: string, kept: readonly string[]) => {
      this.names.push(name);
      return new EntityGauge(name, help, kept, options);
    };
    this.flows = counter(
      'fabricscope_fabric_flows_total',
      'Flow records stored, by vRouter, action, direction and drop reason',
      labels.flows,
    );
    this.flowBytes = counter(
      'fabricscope_fabric_flow_bytes_total',
      'Bytes of the flow records stored (their deltas scaled by sampling), by vRouter, action and direction',
      labels.flow_bytes,
    );
    const gauges: StateGauges = {
      generators: gauge(
        'fabricscope_fabric_generators',
        'Generators by node type and session state (connected, disconnected, withdrawn)',
        labels.generators,
      ),
      vrouter_up: gauge(
        'fabricscope_fabric_vrouter_up',
        "1 while a vRouter's agent is connected and its NodeStatus Functional; gone once its generator is withdrawn",
        labels.vrouter_up,
      ),
      vrouter_xmpp_sessions: gauge(
        'fabricscope_fabric_vrouter_xmpp_sessions',
        "XMPP sessions up in a vRouter's VrouterAgent xmpp_peer_list",
        labels.vrouter_xmpp_sessions,
      ),
      vrouter_active_flows: gauge(
        'fabricscope_fabric_vrouter_active_flows',
        "Active flows in a vRouter's VrouterStatsAgent",
        labels.vrouter_active_flows,
      ),
      control_bgp_peers: gauge(
        'fabricscope_fabric_control_bgp_peers',
        'BGP peers of a control node (BgpRouterState num_bgp_peer)',
        labels.control_bgp_peers,
      ),
      control_bgp_peers_up: gauge(
        'fabricscope_fabric_control_bgp_peers_up',
        'BGP peers up of a control node (BgpRouterState num_up_bgp_peer)',
        labels.control_bgp_peers_up,
      ),
    };
    this.state = new FabricState(gauges);
  }

  /**
   * Counts a stored batch. Never throws: the batch is stored, and a metric must not hold the writer's
   * topic back; one that cannot be read (a fault of ours: the collector checked it) is counted and logged.
   */
  observe(topic: TopicKind, batch: StoredBatch): void {
    try {
      this.read(topic, batch);
    } catch (err) {
      this.unreadable.inc({ topic });
      const { generator, seq } = batch.header;
      log.error(
        topic,
        { topic, generator, seq, err: errorMessage(err) },
        'fabric metrics could not read a batch',
      );
    }
  }

  /** Unregisters the metrics (a process that starts the writer again registers them anew). */
  close(): void {
    const others = [
      'fabricscope_fabric_series_overflow_total',
      'fabricscope_fabric_unreadable_batches_total',
    ];
    for (const name of [...this.names, ...others]) this.registry.removeSingleMetric(name);
  }

  private read(topic: TopicKind, { header, value, start, end }: StoredBatch): void {
    if (topic === 'flows') {
      for (const group of flowGroups(value, start, end)) {
        this.flows.inc(group.labels, group.records);
        this.flowBytes.inc(group.labels, group.bytes);
      }
    } else if (topic === 'uves') {
      forEachRecord(value, start, end, (s, e) => {
        const { type, structType } = uveIdentityOf(value, s, e);
        if (readsStruct(type, structType))
          this.state.uve(header.generator, header.receivedAt, readUveRecord(value, s, e));
      });
    } else if (topic === 'generators') {
      forEachRecord(value, start, end, (s, e) =>
        this.state.generatorEvent(fromBinary(GeneratorEventSchema, value.subarray(s, e))),
      );
    }
  }
}
