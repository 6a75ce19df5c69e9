import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFlowRecord } from '../../../collector/validation/flow.js';
import { encodeFields, FlowRecordSchema } from '../../../common/proto.js';

const nowUs = Date.UTC(2026, 10, 23) * 1000;

function goodRecord(): Record<string, unknown> {
  return {
    flow_uuid: Buffer.alloc(16, 7),
    vrouter: 'compute-1',
    source_ip: Buffer.from([10, 0, 0, 3]),
    dest_ip: Buffer.from([10, 0, 0, 4]),
    protocol: 6,
    sport: 40000,
    dport: 80,
    action: 1,
    direction: 1,
    setup_time: nowUs - 5e6,
    timestamp: nowUs,
    bytes: 1000,
    diff_bytes: 400,
    packets: 10,
    diff_packets: 4,
  };
}

function check(overrides: Record<string, unknown>): ReturnType<typeof checkFlowRecord> {
  const buf = encodeFields(FlowRecordSchema, { ...goodRecord(), ...overrides });
  return checkFlowRecord(buf, 0, buf.length, nowUs);
}

describe('flow record validation on the wire', () => {
  it('accepts a well-formed IPv4 and IPv6 record', () => {
    assert.equal(check({}), undefined);
    assert.equal(check({ source_ip: Buffer.alloc(16, 1), dest_ip: Buffer.alloc(16, 2) }), undefined);
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing flow uuid', { flow_uuid: Buffer.alloc(0) }, 'flow_uuid', /missing/],
    ['short flow uuid', { flow_uuid: Buffer.alloc(5) }, 'flow_uuid', /5 bytes; must be 16/],
    ['bad IP length', { source_ip: Buffer.alloc(5) }, 'source_ip', /4 \(IPv4\) or 16 \(IPv6\)/],
    ['missing destination', { dest_ip: Buffer.alloc(0) }, 'dest_ip', /missing/],
    ['mixed families', { dest_ip: Buffer.alloc(16, 1) }, 'dest_ip', /family/],
    ['port too large', { dport: 70000 }, 'dport', /70000 is above 65535/],
    ['protocol too large', { protocol: 300 }, 'protocol', /above 255/],
    ['unknown action', { action: 9 }, 'action', /above 5/],
    ['milliseconds for a time', { timestamp: Date.now() }, 'timestamp', /not microseconds/],
    ['time in the future', { timestamp: nowUs + 2 * 3600e6 }, 'timestamp', /future/],
    ['teardown before setup', { teardown_time: nowUs - 10e6 }, 'teardown_time', /before setup_time/],
    ['diff above cumulative', { diff_bytes: 5000 }, 'diff_bytes', /above the cumulative/],
    ['oversized name', { source_vn: 'x'.repeat(600) }, 'source_vn', /longer than 512/],
  ];
  for (const [name, overrides, field, reason] of cases) {
    it(`refuses ${name}, naming ${field}`, () => {
      const problem = check(overrides);
      assert.equal(problem?.field, field);
      assert.match(problem?.reason ?? '', reason);
    });
  }

  it('refuses truncated bytes and wrong wire types', () => {
    const buf = encodeFields(FlowRecordSchema, goodRecord());
    assert.match(checkFlowRecord(buf, 0, buf.length - 3, nowUs)?.reason ?? '', /malformed protobuf/);
    const wrongType = Buffer.from([(11 << 3) | 2, 1, 6]); // protocol sent as bytes
    assert.equal(checkFlowRecord(wrongType, 0, wrongType.length, nowUs)?.field, 'protocol');
  });

  it('refuses a field given twice but skips unknown fields', () => {
    const buf = encodeFields(FlowRecordSchema, goodRecord());
    const twice = Buffer.concat([buf, Buffer.from([(13 << 3) | 0, 80])]);
    assert.match(checkFlowRecord(twice, 0, twice.length, nowUs)?.reason ?? '', /more than once/);
    const unknown = Buffer.concat([buf, Buffer.from([0x98, 0x06, 1])]); // field 99, varint
    assert.equal(checkFlowRecord(unknown, 0, unknown.length, nowUs), undefined);
  });

  it('does not carry values over from the previous record', () => {
    assert.match(check({ teardown_time: nowUs - 10e6 })?.field ?? '', /teardown_time/);
    assert.equal(check({}), undefined);
  });
});
