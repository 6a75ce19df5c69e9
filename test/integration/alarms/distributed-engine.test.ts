import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ruleChangeMessage } from '../../../common/bus/alarm-commands.js';
import { KafkaBus, keyPartitioner } from '../../../common/bus/kafka.js';
import { loadConfig } from '../../../common/config.js';
import type { UveUpdate } from '../../../common/proto.js';
import { readRuleVersions } from '../../../common/schema/alarm-rules.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { uveBusMessage, withdrawalBusMessage } from '../../../harness/bus-records.js';
import { cleanUp, killedOnExit, stopChild } from '../../../harness/child-processes.js';
import { kafkaTools, startKafka, type KafkaBroker } from '../../../harness/kafka.js';
import { suiteNeeds } from '../../../harness/system-tools.js';
import { readUntil } from '../../../harness/wait.js';
import { buildFabricState, buildTopology, planEvents } from '../../../simulator/index.js';
import * as writer from '../../../writer/index.js';
import { AlarmTransitions, BGP, NODE_STATUS } from '../../support/alarm-transitions.js';
import { serveWarehouse } from '../../support/shared-warehouse.js';

const PARTITIONS = 4;
const instanceScript = fileURLToPath(new URL('../../support/alarm-instance.js', import.meta.url));

interface Instance {
  child: ChildProcess;
  /** The alarms topic partitions it last said it owns. */
  partitions: number[];
  /** How many times it has restored the UVEs of partitions it gained. */
  restores: number;
}

/**
 * Two alarm engine instances, each a process of its own, on a real Kafka broker (4 partitions), over
 * the test process's chdb warehouse (where its writer stores the same topics): the partitions of the
 * alarms topic split the UVEs between them, so every alarm is raised once; one killed -9 while
 * events are under way hands its partitions to the other, which raises and clears what the dead one
 * would have, and raises nothing twice. (With a ClickHouse server, test/e2e/distributed-alarms runs
 * the same with `fabricscope start` processes for every service.)
 */
describe(
  'alarm engine instances on Kafka: UVEs shared by partition, one killed -9',
  suiteNeeds(...(await kafkaTools())),
  () => {
    let kafka: KafkaBroker;
    let bus: KafkaBus;
    let warehouse: ChdbWarehouse;
    let transitions: AlarmTransitions;
    let served: Awaited<ReturnType<typeof serveWarehouse>>;
    let writing: { close(): Promise<void> } | undefined;
    const startWriter = async () => {
      writing = await writer.start(loadConfig(writer.options, {}, {}), { bus, warehouse });
    };
    const instances: Instance[] = [];
    const topo = buildTopology({ vrouters: 8, seed: 5 });
    let clock = Date.now() * 1000;
    /** Each batch a sequence number of its own: the writer drops one whose id it has stored. */
    let seq = 0;
    const tick = () => (clock = Math.max(clock + 1000, Date.now() * 1000));
    const partitionOf = keyPartitioner('alarms', PARTITIONS);
    const vrouterKey = (name: string) => `vrouter:${name}`;
    const ownerOf = (key: string) => instances.find((i) => i.partitions.includes(partitionOf(key)));

    const publishUves = (generator: string, uves: readonly UveUpdate[]) =>
      bus.publish('uves', [uveBusMessage({ generator, seq: ++seq, receivedAt: tick() }, uves)]);
    const withdraw = (generator: string) =>
      bus.publish('generators', [withdrawalBusMessage({ generator, seq: ++seq, receivedAt: tick() })]);
    async function startInstance(): Promise<Instance> {
      const child = killedOnExit(
        spawn(process.execPath, [instanceScript, kafka.brokers.join(','), served.url, String(PARTITIONS)], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, FABRICSCOPE_LOG_LEVEL: 'info' },
        }),
      );
      const instance: Instance = { child, partitions: [], restores: 0 };
      let ready!: () => void;
      const started = new Promise<void>((resolve, reject) => {
        ready = resolve;
        child.once('exit', (code, signal) =>
          reject(new Error(`alarm instance exited with ${code ?? signal}`)),
        );
      });
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString()).split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (line === 'ready') ready();
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { msg?: string; partitions?: number[] };
          if (entry.msg === 'alarms topic partitions assigned') instance.partitions = entry.partitions!;
          if (entry.msg === 'restored and evaluated the UVEs gained') instance.restores++;
        }
      });
      instances.push(instance);
      await started;
      return instance;
    }

    /** Until the group's partitions are shared by the instances alive, none twice. */
    const sharedBy = (alive: Instance[]) =>
      readUntil(
        `${PARTITIONS} partitions over ${alive.length} instances`,
        async () => alive.map((i) => [...i.partitions].sort()),
        (owned) =>
          owned.every((p) => p.length > 0) &&
          owned.flat().sort().join() === [...Array(PARTITIONS).keys()].join(),
      );

    before(async () => {
      kafka = await startKafka();
      warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-alarms-dist-')));
      await migrate(warehouse);
      bus = new KafkaBus({
        brokers: kafka.brokers,
        clientId: 'test',
        partitions: PARTITIONS,
        replicationFactor: 1,
      });
      await bus.start();
      transitions = new AlarmTransitions(() => bus, warehouse);
      await startWriter();
      served = await serveWarehouse(warehouse);
      await startInstance();
      await startInstance();
      await sharedBy(instances);
      for (const { generator, uves } of buildFabricState(topo, clock)) await publishUves(generator, uves);
      // What the fabric's state raised while its parts arrived is not what the tests look at.
      await transitions.next();
    });
    after(() =>
      cleanUp(
        ...instances.map((i) => () => stopChild(i.child)),
        () => served?.close(),
        () => writing?.close(),
        () => bus?.close(),
        () => warehouse?.close(),
        () => kafka?.stop(),
      ),
    );

    const flap = (control: (typeof topo.controlNodes)[number]) => {
      const [event] = planEvents(topo, [{ kind: 'bgp-flap', target: control.name }], clock);
      const [down, , up] = event!.steps;
      return {
        down: () => publishUves(control.generator, down!.uves),
        up: () => publishUves(control.generator, up!.uves),
      };
    };

    it('evaluates each UVE on one instance: both own partitions, every alarm is raised once', async () => {
      for (const control of topo.controlNodes) await flap(control).down();
      for (const vrouter of topo.vrouters.slice(0, 4)) await withdraw(vrouter.generator);
      const expected = Object.fromEntries(
        [
          ...topo.controlNodes.map((c) => `${c.name} ${BGP}`),
          ...topo.vrouters.slice(0, 4).map((v) => `${v.name} ${NODE_STATUS}`),
        ]
          .sort((a, b) => a.localeCompare(b))
          .map((id) => [id, ['Idle>Active']]),
      );
      assert.deepEqual(await transitions.next(), expected);
      const owners = new Set(topo.vrouters.map((v) => ownerOf(vrouterKey(v.name))));
      assert.equal(owners.size, 2, 'the vRouters are evaluated on both instances');
    });

    it('hands a killed instance’s UVEs to the other: what follows is raised and cleared, nothing twice', async () => {
      const victim = ownerOf(vrouterKey(topo.vrouters[0]!.name))!;
      const survivor = instances.find((i) => i !== victim)!;
      const victims = topo.vrouters.filter((v) => ownerOf(vrouterKey(v.name)) === victim);
      const back = victims.filter((v) => topo.vrouters.slice(0, 4).includes(v));
      const fresh = victims.filter((v) => !topo.vrouters.slice(0, 4).includes(v));
      const state = new Map(buildFabricState(topo, clock).map((g) => [g.generator, g.uves]));
      await victim.child.kill('SIGKILL');
      // Under way while its partitions are still the dead instance's: the survivor must take them.
      for (const control of topo.controlNodes) await flap(control).up();
      for (const vrouter of back) await publishUves(vrouter.generator, state.get(vrouter.generator)!);
      for (const vrouter of fresh) await withdraw(vrouter.generator);
      await sharedBy([survivor]);
      // Since the alarms above were raised: the peerings up again, the vRouters back, the others withdrawn.
      const expected: Record<string, string[]> = {};
      for (const c of topo.controlNodes) expected[`${c.name} ${BGP}`] = ['Active>Idle'];
      for (const v of back) expected[`${v.name} ${NODE_STATUS}`] = ['Active>Idle'];
      for (const v of fresh) expected[`${v.name} ${NODE_STATUS}`] = ['Idle>Active'];
      const sorted = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b)));
      assert.deepEqual(await transitions.next(), sorted);
    });

    it('restores an alarm the writer had not stored when its instance died: neither cleared nor raised again', async () => {
      await startInstance();
      await sharedBy(instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null));
      // The writer held back: what the engine evaluates from now on is not in the warehouse yet.
      await writing!.close();
      writing = undefined;
      for (const control of topo.controlNodes) await flap(control).down();
      const raised = Object.fromEntries(topo.controlNodes.map((c) => [`${c.name} ${BGP}`, ['Idle>Active']]));
      assert.deepEqual(await transitions.next(), raised);
      const victim = ownerOf(`control-node:${topo.controlNodes[0]!.name}`)!;
      const survivor = instances.find((i) => i !== victim && i.child.signalCode === null)!;
      const restores = survivor.restores;
      victim.child.kill('SIGKILL');
      // The survivor is given the dead instance's partitions, and waits for the writer to restore them.
      await sharedBy([survivor]);
      await startWriter();
      await readUntil(
        'the dead instance’s UVEs restored',
        async () => survivor.restores,
        (n) => n > restores,
      );
      assert.deepEqual(await transitions.next(), {}, 'the alarms stand as they were');
      for (const control of topo.controlNodes) await flap(control).up();
      const cleared = Object.fromEntries(topo.controlNodes.map((c) => [`${c.name} ${BGP}`, ['Active>Idle']]));
      assert.deepEqual(await transitions.next(), cleared);
    });

    it('takes a rule change up on every instance: a rule disabled clears its alarms on both, stored once', async () => {
      await startInstance();
      const alive = instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
      await sharedBy(alive);
      for (const vrouter of topo.vrouters) await withdraw(vrouter.generator);
      await transitions.next();
      const owners = new Set(topo.vrouters.map((v) => ownerOf(vrouterKey(v.name))));
      assert.equal(owners.size, 2, 'the vRouters are evaluated on both instances');
      // As the API sends it: to every partition.
      const disable = { operation: 'disable', name: `default-global-system-config:${NODE_STATUS}` } as const;
      await bus.broadcast('alarms', [
        ruleChangeMessage({ ...disable, rule: '', expectedVersion: 0, author: 'test' }),
      ]);
      const expected = Object.fromEntries(
        topo.vrouters
          .map((v) => `${v.name} ${NODE_STATUS}`)
          .sort((a, b) => a.localeCompare(b))
          .map((id) => [id, ['Active>Idle']]),
      );
      assert.deepEqual(await transitions.next(), expected);
      const versions = (await readRuleVersions(warehouse)).filter((v) => v.name === disable.name);
      assert.deepEqual(
        versions.map((v) => `${v.version} ${v.status}`),
        ['1 disabled'],
        'one version, however many instances and partitions took it',
      );
    });
  },
);
