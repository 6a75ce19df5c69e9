import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Change } from '../../../alarms/engine.js';
import type { AlarmState } from '../../../alarms/lifecycle.js';
import { AlarmStore } from '../../../alarms/store.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import type { Warehouse } from '../../../common/warehouse/warehouse.js';
import { busMessage } from '../../../harness/bus-records.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { ask as askApi, post } from '../../../harness/query-api-client.js';

const AT = Date.now() - 60e3;
const VMI = '0a000000-0000-4000-8000-00000000000a';
const PROCESS = 'default-global-system-config:system-defined-process-status';
const INTERFACE = 'default-global-system-config:system-defined-vrouter-interface';
const DENIED = 'default-global-system-config:denied-flows-into-namespace';

/**
 * 40 flows in the last minutes: 20 on compute-1 from red to blue through the VMI, into namespace
 * payments; 20 on compute-2 within green, on no VMI.
 */
const flows = `INSERT INTO flows (time, received_at, generator, batch_seq, flow_uuid, vrouter, source_vn, dest_vn,
    vmi_uuid, diff_bytes, diff_packets, sampling, dest_namespace)
  SELECT fromUnixTimestamp64Milli(toInt64({at:Int64} - number * 1000), 'UTC') AS t, t, 'g', number,
    generateUUIDv4(), if(one, 'compute-1', 'compute-2'), if(one, 'red', 'green'), if(one, 'blue', 'green'),
    toUUID(if(one, {vmi:String}, '00000000-0000-0000-0000-000000000000')), 100, 1, 1, if(one, 'payments', '')
  FROM (SELECT number, number < 20 AS one FROM numbers(40))`;

/** An alarm the engine stored in `state`. */
function alarm(uveType: string, uveName: string, alarmType: string, state: AlarmState): Change {
  const shown = state !== 'Idle';
  return {
    uveType,
    uveName,
    alarmType,
    severity: 1,
    description: '',
    status: {
      id: `${uveType}:${uveName} ${alarmType}`,
      state,
      matching: shown,
      rules: shown ? { or_list: [] } : null,
      token: shown ? `${uveName}-token` : '',
      revision: 1,
      since: AT,
      acknowledged: false,
      raises: [],
      flapping: false,
    },
    transitions: [{ at: AT, kind: 'state', from: 'Idle', to: state, token: shown ? `${uveName}-token` : '' }],
  };
}

interface LinkedAlarm {
  uveType: string;
  name: string;
  type: string;
  state: string;
}

interface Flows {
  flows: { edges: { node: { vrouter: string; alarms: LinkedAlarm[] } }[] };
}

const linked = (alarms: LinkedAlarm[]) => alarms.map((a) => `${a.uveType} ${a.name} ${a.type} ${a.state}`);

describe('flows and UVEs link to their alarms (embedded warehouse)', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  /** The reads of alarm_state the API made. */
  let alarmReads = 0;
  const ask = <T>(query: string) => askApi<T>(api, query);
  const range = `from: "${new Date(AT - 600e3).toISOString()}", to: "now"`;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-alarm-links-')));
    await migrate(warehouse);
    await warehouse.exec(flows, { at: AT, vmi: VMI });
    const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
    for (const [seq, name] of ['compute-1', 'compute-2'].entries())
      await new BatchWriter(warehouse, writerRoute('uves'), options).write([
        busMessage(
          'uves',
          { generator: `${name}:Compute:contrail-vrouter-agent:0`, seq, receivedAt: AT * 1000 },
          [
            {
              type: 'vrouter',
              name,
              struct_type: 'VrouterAgent',
              attributes_json: JSON.stringify({ control_ip: `10.0.0.${seq + 1}` }),
            },
          ],
        ),
      ]);
    const store = new AlarmStore(warehouse);
    await store.open();
    await store.store([
      alarm('vrouter', 'compute-1', PROCESS, 'Active'),
      alarm('virtual-network', 'blue', PROCESS, 'Soak_Idle'),
      alarm('virtual-network', 'green', PROCESS, 'Idle'),
      alarm('virtual-machine-interface', `default-domain:k8s-payments:${VMI}`, INTERFACE, 'Active'),
      alarm('flows', 'payments', DENIED, 'Active'),
      // Among the types and names the flows ask for, but not a pair any flow names.
      alarm('vrouter', 'red', PROCESS, 'Active'),
    ]);
    const counting: Warehouse = {
      dictionarySource: () => warehouse.dictionarySource(),
      query: (sql, params, settings) => {
        if (sql.includes('alarm_state')) alarmReads++;
        return warehouse.query(sql, params, settings);
      },
      exec: (sql, params) => warehouse.exec(sql, params),
      insertProtobuf: (...args) => warehouse.insertProtobuf(...args),
      insertRows: (...args) => warehouse.insertRows(...args),
      close: async () => undefined,
    };
    api = createQueryApi(counting);
  });
  after(() => warehouse.close());

  it('shows the alarms shown of a UVE, and none of a UVE without', async () => {
    const uve = async (name: string) =>
      (
        await ask<{ uve: { alarms: LinkedAlarm[] } }>(
          `{ uve(type: "vrouter", name: "${name}") { alarms { uveType name type state } } }`,
        )
      ).uve.alarms;
    assert.deepEqual(linked(await uve('compute-1')), [`vrouter compute-1 ${PROCESS} ACTIVE`]);
    assert.deepEqual(await uve('compute-2'), []);
  });

  it('links each UVE of a listing to its own alarms, in one read', async () => {
    const reads = alarmReads;
    const data = await ask<{ uves: { name: string; alarms: LinkedAlarm[] }[] }>(
      '{ uves(type: "vrouter") { name alarms { uveType name type state } } }',
    );
    assert.deepEqual(
      data.uves.map((u) => [u.name, linked(u.alarms)]),
      [
        ['compute-1', [`vrouter compute-1 ${PROCESS} ACTIVE`]],
        ['compute-2', []],
      ],
    );
    assert.equal(alarmReads - reads, 1);
  });

  it('shows on each flow the alarms of its vRouter, networks, VMI and threshold groups, in one read for all', async () => {
    const reads = alarmReads;
    const data = await ask<Flows>(
      `{ flows(${range}, first: 40) { edges { node { vrouter alarms { uveType name type state } } } } }`,
    );
    assert.equal(alarmReads - reads, 1, 'one read of alarm_state for 40 flows');
    const byVrouter = new Map(data.flows.edges.map(({ node }) => [node.vrouter, linked(node.alarms)]));
    assert.equal(data.flows.edges.length, 40);
    assert.deepEqual(byVrouter.get('compute-1'), [
      `vrouter compute-1 ${PROCESS} ACTIVE`,
      `virtual-network blue ${PROCESS} SOAK_IDLE`,
      `virtual-machine-interface default-domain:k8s-payments:${VMI} ${INTERFACE} ACTIVE`,
      `flows payments ${DENIED} ACTIVE`,
    ]);
    assert.deepEqual(byVrouter.get('compute-2'), [], 'green is idle: not shown');
    for (const { node } of data.flows.edges)
      assert.deepEqual(linked(node.alarms), byVrouter.get(node.vrouter), 'every flow of a vRouter alike');
  });

  it('charges Flow.alarms as a read in the cost of a request', async () => {
    const query = `{ flows(${range}) { edges { node { alarms { type } } } } }`;
    const limited = createQueryApi(warehouse, { queryMaxCost: 202 });
    const body = await post(limited, query);
    assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_EXPENSIVE');
    assert.match(body.errors[0]!.message, /costs more than 202 /);
    assert.equal((await post(createQueryApi(warehouse, { queryMaxCost: 203 }), query)).errors, undefined);
  });
});
