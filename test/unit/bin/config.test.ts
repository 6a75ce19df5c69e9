import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../common/config.js';
import { options } from '../../../bin/config.js';

describe('config', () => {
  it('takes flags over env over file over defaults', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fs-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ grpcPort: 6000, httpPort: 7000, dataDir: '/from/file' }));
    const env = { FABRICSCOPE_HTTP_PORT: '7001', FABRICSCOPE_DATA_DIR: '/from/env' };
    const config = loadConfig(options, { dataDir: '/from/flag' }, env, file);
    assert.equal(config.dataDir, '/from/flag');
    assert.equal(config.httpPort, 7001);
    assert.equal(config.grpcPort, 6000);
    assert.equal(config.maxInFlight, 8);
  });

  it('names the option and its source spelling when a value is wrong', () => {
    assert.throws(
      () => loadConfig(options, {}, { FABRICSCOPE_GRPC_PORT: 'abc' }),
      /--grpc-port \/ FABRICSCOPE_GRPC_PORT = "abc"/,
    );
    assert.throws(() => loadConfig(options, { httpPort: 70000 }, {}), /--http-port/);
  });

  it('splits token lists', () => {
    assert.deepEqual(loadConfig(options, {}, { FABRICSCOPE_TOKENS: 'a, b' }).tokens, ['a', 'b']);
  });
});
