import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHttpServer, type HttpServer } from '../../../common/http.js';
import { counter, registry } from '../../../common/metrics.js';

describe('/metrics', () => {
  let http: HttpServer;
  const get = (query: string) => fetch(`http://127.0.0.1:${http.port}/metrics${query}`);

  before(async () => {
    for (const name of ['fabricscope_test_first_total', 'fabricscope_test_second_total']) {
      counter(name, `${name} for this test`).inc(3);
    }
    http = await startHttpServer({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await http.close();
    registry.removeSingleMetric('fabricscope_test_first_total');
    registry.removeSingleMetric('fabricscope_test_second_total');
  });

  it('serves every metric when no name is asked', async () => {
    const text = await (await get('')).text();
    assert.match(text, /^fabricscope_test_first_total 3$/m);
    assert.match(text, /^fabricscope_test_second_total 3$/m);
  });

  it('serves only the metrics named by ?name=', async () => {
    const answer = await get('?name=fabricscope_test_second_total');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('content-type'), registry.contentType);
    const text = await answer.text();
    assert.match(text, /^fabricscope_test_second_total 3$/m);
    assert.doesNotMatch(text, /fabricscope_test_first_total/);
    const both = await (
      await get('?name=fabricscope_test_first_total&name=fabricscope_test_second_total')
    ).text();
    assert.match(both, /^fabricscope_test_first_total 3$/m);
    assert.match(both, /^fabricscope_test_second_total 3$/m);
  });

  it('refuses a name no metric has, naming it', async () => {
    const answer = await get('?name=fabricscope_test_first_total&name=no_such_metric');
    assert.equal(answer.status, 404);
    assert.equal(await answer.text(), 'no metric named no_such_metric\n');
  });
});
