import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { catalogs } from '../../../../common/schema/catalog/index.js';
import { migrations } from '../../../../common/schema/migrations.js';
import { protoField, protoFieldNames } from '../../../../common/proto.js';

/** How ClickHouse reads each proto scalar from a Protobuf row (the `read` types the catalog may use). */
const readable: Record<string, RegExp> = {
  string: /^String$/,
  bytes: /^String$/,
  uint64: /^UInt64$/,
  uint32: /^UInt(8|16|32)$/,
  bool: /^UInt8$/,
  enum: /^Int8$/,
};

describe('the catalog against the proto contract', () => {
  for (const catalog of catalogs) {
    it(`${catalog.record}: every field is stored or said why not, read with a type its proto type allows`, () => {
      const read = [catalog.time, ...catalog.fields].filter((f) => f.proto !== undefined);
      for (const field of read) {
        const proto = protoField(catalog.record, field.proto!);
        assert.ok(proto, `${catalog.record}.${field.proto} (column ${field.column}) is not in records.proto`);
        const type = proto.map
          ? 'map'
          : proto.repeated
            ? proto.message
              ? 'nested'
              : 'array'
            : proto.enum
              ? 'enum'
              : proto.type;
        const ok =
          { map: /^Map\(/, nested: /^Nested\(/, array: /^Array\(/ }[type as 'map']?.test(field.read!) ??
          readable[type]?.test(field.read!);
        assert.ok(ok, `${catalog.record}.${field.proto} is ${type} in proto, read as ${field.read}`);
      }
      const covered = new Set([...read.map((f) => f.proto), ...Object.keys(catalog.unstored ?? {})]);
      for (const name of protoFieldNames(catalog.record)) {
        assert.ok(
          covered.has(name),
          `${catalog.record}.${name} has no catalog entry (store it, or list it as unstored)`,
        );
      }
    });

    it(`${catalog.row} is the record (field 1) plus its batch stamp (field 2)`, () => {
      assert.equal(protoField(catalog.row, 'record')?.number, 1);
      assert.equal(protoField(catalog.row, 'stamp')?.number, 2);
    });
  }
});

/**
 * A digest of the SQL of every migration a deployed warehouse may have applied: a warehouse
 * never runs an applied migration again, so a change here would only reach new installs and leave
 * the two disagreeing. Change the catalog with a field `since` a new migration instead.
 */
const applied: Record<number, string> = {
  1: 'a0575ea968ff6db9',
  2: '0fc7d0e613d0c35a',
  3: '34a4df17a8bd67e5',
  4: '07aefdaf33fcbec4',
  5: '1b49f65281c0e064',
  6: '20a7d8e3e7f31b86',
  7: '1dae13242fb75746',
  8: '5987eb97fb4418c9',
  9: '215c9b0f7573e205',
  11: '0a94c392cf972919',
  12: '6241892938480107',
  13: 'c18fe4e8e34509f0',
  14: '1dbbf75481893714',
  15: '0c9bff0a6468f060',
  16: 'd52dc000f6977060',
};

describe('applied migrations', () => {
  for (const migration of migrations.filter((m) => m.id in applied)) {
    it(`migration ${migration.id} (${migration.name}) is unchanged`, () => {
      const sql = migration.statements
        .map((s) =>
          typeof s === 'string'
            ? s
            : s({
                dictionarySource: ' <source>',
                mergeTreeSettings: new Set([
                  'merge_selector_enable_heuristic_to_remove_small_parts_at_right',
                ]),
              }),
        )
        .join(';\n');
      const digest = createHash('sha256').update(sql).digest('hex').slice(0, 16);
      assert.equal(digest, applied[migration.id], `migration ${migration.id}'s SQL changed:\n${sql}`);
    });
  }
});
