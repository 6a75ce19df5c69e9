import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { encodeBusBatch } from '../../../common/bus/envelope.js';
import { KafkaBus, keyPartitioner } from '../../../common/bus/kafka.js';
import { loadConfig } from '../../../common/config.js';
import {
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveBatchSchema,
  type UveUpdate,
} from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { cleanUp, killedOnExit, stopChild } from '../../../harness/child-processes.js';
import { kafkaTools, startKafka, type KafkaBroker } from '../../../harness/kafka.js';
import { suiteNeeds } from '../../../harness/system-tools.js';
import { readUntil } from '../../../harness/wait.js';
import { buildFabricState, buildTopology, planEvents } from '../../../simulator/index.js';
import * as writer from '../../../writer/index.js';
import { serveWarehouse } from '../../support/shared-warehouse.js';

const PARTITIONS = 4;
const SYSTEM = 'default-global-system-config';
const BGP = 'system-defined-bgp-connectivity';
const NODE_STATUS = 'system-defined-node-status';
const instanceScript = fileURLToPath(new URL('../../support/alarm-instance.js', import.meta.url));

interface Instance {
  child: ChildProcess;
  /** The alarms topic partitions it last said it owns. */
  partitions: number[];
  /** How many times it has restored the UVEs of partitions it gained. */
  restores: number;
}

interface Transition {
  uve_name: string;
  alarm_type: string;
  from_state: string;
  state: string;
  version: string;
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
      bus.publish('uves', [
        {
          key: generator.split(':')[0]!,
          value: encodeBusBatch(
            { generator, epoch: 1, seq: ++seq, receivedAt: tick() },
            'uves',
            Buffer.from(toBinary(UveBatchSchema, create(UveBatchSchema, { records: [...uves] }))),
          ),
        },
      ]);
    /** As the collector reports a generator withdrawn after its grace. */
    const withdraw = (generator: string) => {
      const time = tick();
      const payload = toBinary(
        GeneratorEventBatchSchema,
        create(GeneratorEventBatchSchema, {
          records: [{ generator, event: GeneratorEventType.WITHDRAWN, epoch: 1n, time: BigInt(time) }],
        }),
      );
      return bus.publish('generators', [
        {
          key: generator,
          value: encodeBusBatch(
            { generator, epoch: 1, seq: ++seq, receivedAt: time },
            'generator_events',
            Buffer.from(payload),
          ),
        },
      ]);
    };
    /** The version of the last transition stored before the events a test plays. */
    let since = 0;
    /**
     * Until the engine's groups have committed all that was published: the routers through the
     * collector's topics, then the engine through what they routed. Every transition is stored
     * before its delivery is committed.
     */
    const engineSettled = () =>
      readUntil(
        "the engine's groups at the ends of their topics",
        async () => {
          for (const [kind, group] of [
            ['uves', 'alarms-uves'],
            ['generators', 'alarms-generators'],
            ['alarms', 'alarms'],
          ] as const) {
            const [ends, at] = [await bus.ends(kind), await bus.committed(kind, group)];
            if ([...ends].some(([p, end]) => (at.get(p) ?? 0) < end)) return false;
          }
          return true;
        },
        (settled) => settled,
      );
    /**
     * Once the engine has settled, each alarm's state transitions since `since`, as `from>to`, for the
     * two alarms the events raise. No alarm at all is raised twice running, whatever the fabric's
     * state raised meanwhile.
     */
    async function transitions(): Promise<Record<string, string[]>> {
      await engineSettled();
      const rows = await warehouse.query<Transition>(
        `SELECT uve_name, alarm_type, from_state, state, toString(version) AS version FROM alarms
         WHERE kind = 'state' ORDER BY version`,
      );
      const byAlarm = new Map<string, Transition[]>();
      for (const row of rows) {
        const id = `${row.uve_name} ${row.alarm_type.replace(`${SYSTEM}:`, '')}`;
        byAlarm.set(id, [...(byAlarm.get(id) ?? []), row]);
      }
      for (const [id, steps] of byAlarm) {
        const chain = steps.map((t) => `${t.from_state}>${t.state}`).join(' ');
        steps.forEach((t, i) =>
          assert.ok(i === 0 || steps[i - 1]!.state === t.from_state, `${id}: ${chain}`),
        );
      }
      const recent = [...byAlarm]
        .filter(([id]) => id.endsWith(BGP) || id.endsWith(NODE_STATUS))
        .map(([id, steps]) => [id, steps.filter((t) => Number(t.version) > since)] as const)
        .filter(([, steps]) => steps.length > 0)
        .sort(([a], [b]) => a.localeCompare(b));
      since = Math.max(since, ...rows.map((row) => Number(row.version)));
      return Object.fromEntries(
        recent.map(([id, steps]) => [id, steps.map((t) => `${t.from_state}>${t.state}`)]),
      );
    }

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
      await startWriter();
      served = await serveWarehouse(warehouse);
      await startInstance();
      await startInstance();
      await sharedBy(instances);
      for (const { generator, uves } of buildFabricState(topo, clock)) await publishUves(generator, uves);
      // What the fabric's state raised while its parts arrived is not what the tests look at.
      await transitions();
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
      assert.deepEqual(await transitions(), expected);
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
      assert.deepEqual(await transitions(), sorted);
    });

    it('restores an alarm the writer had not stored when its instance died: neither cleared nor raised again', async () => {
      await startInstance();
      await sharedBy(instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null));
      // The writer held back: what the engine evaluates from now on is not in the warehouse yet.
      await writing!.close();
      writing = undefined;
      for (const control of topo.controlNodes) await flap(control).down();
      const raised = Object.fromEntries(topo.controlNodes.map((c) => [`${c.name} ${BGP}`, ['Idle>Active']]));
      assert.deepEqual(await transitions(), raised);
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
      assert.deepEqual(await transitions(), {}, 'the alarms stand as they were');
      for (const control of topo.controlNodes) await flap(control).up();
      const cleared = Object.fromEntries(topo.controlNodes.map((c) => [`${c.name} ${BGP}`, ['Active>Idle']]));
      assert.deepEqual(await transitions(), cleared);
    });
  },
);
