import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as alarms from '../../../alarms/index.js';
import { LocalLogBus } from '../../../common/bus/local-log.js';
import { loadConfig } from '../../../common/config.js';
import type { UveUpdate } from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { uveBusMessage } from '../../../harness/bus-records.js';
import { cleanUp } from '../../../harness/child-processes.js';
import { buildFabricState, buildTopology, planEvents } from '../../../simulator/index.js';
import * as writer from '../../../writer/index.js';
import { AlarmTransitions, BGP } from '../../support/alarm-transitions.js';

/**
 * The embedded bus (the local log) and chdb, the services in this process: the alarm engine commits
 * apart from the writer, so when it stops the warehouse may lack what it evaluated. Restarted while
 * the writer is held back, it waits for the writer before restoring: the alarm it raised is neither
 * cleared nor raised again. (Over Kafka, distributed-engine.test.ts shows the same when the UVEs
 * move to another instance.)
 */
describe('alarm engine on the local log: restarted with the writer behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-alarms-behind-'));
  const topo = buildTopology({ vrouters: 2, seed: 3 });
  const [control] = topo.controlNodes;
  assert.ok(control);
  const [flap] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], Date.now() * 1000);
  const [down, , up] = flap!.steps;
  const warehouse = new ChdbWarehouse(join(dir, 'warehouse'));
  let bus: LocalLogBus;
  let writing: { close(): Promise<void> } | undefined;
  let engine: { close(): Promise<void> } | undefined;
  const transitions = new AlarmTransitions(() => bus, warehouse);
  let seq = 0;
  let clock = Date.now() * 1000;

  const open = () => {
    bus = new LocalLogBus({ dir: join(dir, 'bus'), maxBytes: 64 << 20 });
  };
  const startWriter = async () => {
    writing = await writer.start(loadConfig(writer.options, {}, {}), { bus, warehouse });
  };
  const startEngine = () => alarms.start(loadConfig(alarms.options, {}, {}), { bus, warehouse });
  const publish = (generator: string, uves: readonly UveUpdate[]) =>
    bus.publish('uves', [uveBusMessage({ generator, seq: ++seq, receivedAt: (clock += 1000) }, uves)]);

  before(async () => {
    await migrate(warehouse);
    open();
    await startWriter();
    engine = await startEngine();
    for (const { generator, uves } of buildFabricState(topo, clock)) await publish(generator, uves);
    await transitions.next();
  });
  after(() =>
    cleanUp(
      () => engine?.close(),
      () => writing?.close(),
      () => bus?.close(),
      () => warehouse.close(),
    ),
  );

  it('keeps the alarm raised while the writer had not stored its cause, and clears it once', async () => {
    await writing!.close();
    writing = undefined;
    await publish(control.generator, down!.uves);
    const id = `${control.name} ${BGP}`;
    assert.deepEqual(await transitions.next(), { [id]: ['Idle>Active'] });
    await engine!.close();
    engine = undefined;
    await bus.close();
    open();
    // Restored only once the writer has stored what the engine had evaluated.
    const restarting = startEngine();
    await startWriter();
    engine = await restarting;
    assert.deepEqual(await transitions.next(), {}, 'the alarm stands as it was');
    await publish(control.generator, up!.uves);
    assert.deepEqual(await transitions.next(), { [id]: ['Active>Idle'] });
  });
});
