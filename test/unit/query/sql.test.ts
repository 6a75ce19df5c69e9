import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dimensions } from '../../../common/sql/flows/fields.js';
import { flowWhere, type FlowFilterInput } from '../../../common/sql/flows/filter.js';
import { chooseTable } from '../../../common/sql/flows/tables.js';
import { timeCondition } from '../../../common/sql/rollup-tables.js';
import { Params } from '../../../common/sql/params.js';

const hour = 3600e6;
const range = (hours: number) => ({ fromUs: 1_795_000_000e6, toUs: 1_795_000_000e6 + hours * hour });

describe('flow filter SQL', () => {
  it('keeps every value in parameters, never in the SQL text', () => {
    const params = new Params();
    const where = flowWhere(
      [{ vrouter: ["compute-1'; DROP TABLE flows"], protocol: ['tcp', '17'] }],
      null,
      params,
    );
    assert.doesNotMatch(where.sql, /DROP TABLE|compute-1/);
    assert.deepEqual(Object.values(params.values), [["compute-1'; DROP TABLE flows"], [6, 17]]);
    assert.deepEqual([...where.uses], [dimensions.VROUTER, dimensions.PROTOCOL]);
  });

  it('ORs filters, ANDs fields, matches either end for unprefixed fields, and negates excludes', () => {
    const where = flowWhere(
      [{ vrouter: ['a'], port: [53] }, { action: ['DENY'] }],
      [{ namespace: ['kube-system'] }],
      new Params(),
    );
    assert.equal(
      where.sql,
      '(((vrouter IN {p0:Array(String)} AND (sport IN {p1:Array(UInt16)} OR dport IN {p2:Array(UInt16)})) OR ' +
        'action IN {p3:Array(String)}) AND NOT ((source_namespace IN {p4:Array(String)} OR dest_namespace IN {p5:Array(String)})))',
    );
  });

  it('turns IPv4 CIDRs into IPv4-mapped ranges', () => {
    const params = new Params();
    const where = flowWhere([{ sourceIp: ['10.0.0.0/8', '2001:db8::/32', '10.1.2.3'] }], null, params);
    assert.match(
      where.sql,
      /source_ip BETWEEN tupleElement\(IPv6CIDRToRange\(toIPv6\(\{p0:String\}\), \{p1:UInt8\}\), 1\)/,
    );
    assert.deepEqual(Object.values(params.values), ['10.0.0.0', 104, '2001:db8::', 32, '10.1.2.3']);
  });

  const bad: [FlowFilterInput, RegExp][] = [
    [{ ip: ['10.0.0.0/33'] }, /filter\.ip: "10\.0\.0\.0\/33" has a prefix length above 32/],
    [{ destIp: ['nope'] }, /filter\.destIp: "nope" is not an IP address or CIDR/],
    [{ destPort: [70000] }, /filter\.destPort: 70000 is not a port/],
    [{ protocol: ['smtp'] }, /filter\.protocol: "smtp" is not a protocol number or one of icmp, tcp/],
    [{ action: ['allow'] }, /filter\.action: "allow" is not one of pass, deny, drop, nat, mirror/],
    [{ direction: ['up'] }, /filter\.direction: "up" is not one of ingress, egress/],
  ];
  for (const [filter, message] of bad) {
    it(`refuses ${JSON.stringify(filter)} with a clear message`, () => {
      assert.throws(() => flowWhere([filter], null, new Params()), message);
    });
  }
});

describe('table choice', () => {
  it('picks the coarsest rollup the range and dimensions allow', () => {
    assert.equal(chooseTable(range(0.5), []).name, 'flows');
    assert.equal(chooseTable(range(1), [dimensions.VROUTER!]).name, 'flows_1m');
    assert.equal(chooseTable(range(24), [dimensions.ACTION!]).name, 'flows_1m');
    assert.equal(chooseTable(range(72), [dimensions.ACTION!]).name, 'flows_1h');
  });

  it('reads raw flows when a dimension is not rolled up, or the step is finer than a bucket', () => {
    assert.equal(chooseTable(range(72), [dimensions.SOURCE_IP!]).name, 'flows');
    assert.equal(chooseTable(range(72), [dimensions.SOURCE_WORKLOAD!]).name, 'flows');
    assert.equal(chooseTable(range(72), [], 600).name, 'flows_1m');
    assert.equal(chooseTable(range(2), [], 30).name, 'flows');
  });

  it('widens a rollup range to whole buckets', () => {
    const params = new Params();
    const sql = timeCondition(
      { name: 'flows_1m', bucketSeconds: 60 },
      { fromUs: 90e6, toUs: 3630e6 },
      params,
    );
    assert.match(
      sql,
      /time >= toDateTime\(\{p0:UInt32\}, 'UTC'\) AND time < toDateTime\(\{p1:UInt32\}, 'UTC'\)/,
    );
    assert.deepEqual(params.values, { p0: 60, p1: 3660 });
  });
});
