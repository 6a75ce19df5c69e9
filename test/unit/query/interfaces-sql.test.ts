import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interfaceWhere } from '../../../common/sql/interfaces.js';
import { Params } from '../../../common/sql/params.js';

describe('interface filter SQL', () => {
  it('keeps filter values in parameters, never in the SQL text', () => {
    const params = new Params();
    const sql = interfaceWhere({ vm: ["vm'; DROP TABLE if_stats"], vrouter: ['compute-1'] }, params);
    assert.equal(sql, 'vm_name IN {p0:Array(String)} AND vrouter IN {p1:Array(String)}');
    assert.deepEqual(params.values, { p0: ["vm'; DROP TABLE if_stats"], p1: ['compute-1'] });
  });
});
