import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exceptionReply } from '../../../query/clickhouse-http/exceptions.js';
import { requestSettings } from '../../../query/clickhouse-http/execute.js';
import { contentType, formatClause } from '../../../query/clickhouse-http/format.js';
import { parseType } from '../../../query/clickhouse-http/native.js';
import { parseRequest } from '../../../query/clickhouse-http/request.js';

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const parse = (query: string, headers: Record<string, string> = {}, body = '') =>
  parseRequest(new URLSearchParams(query), headers, body);
const refusal = (name: string, pattern?: RegExp) => (err: unknown) => {
  const reply = exceptionReply(err);
  assert.equal(reply.name, name);
  if (pattern) assert.match(reply.body, pattern);
  return true;
};

describe('ClickHouse HTTP requests as the server reads them', () => {
  it('joins the query parameter and the body with a line break, as ClickHouse does', () => {
    assert.equal(parse('query=SELECT', {}, '1 AS x').query, 'SELECT\n1 AS x');
    assert.equal(parse('query=SELECT 1').query, 'SELECT 1\n');
    assert.equal(parse('', {}, 'SELECT 2').query, 'SELECT 2');
  });

  it('splits the parameters into settings, query parameters and its own', () => {
    const request = parse(
      'database=fs&default_format=JSON&query_id=q1&max_threads=2&param_vrouter=a%5Ctb&client_protocol_version=54460&wait_end_of_query=1',
      {},
      'SELECT 1',
    );
    assert.equal(request.database, 'fs');
    assert.equal(request.clientProtocolVersion, 54460);
    assert.deepEqual([...request.settings], [['max_threads', '2']]);
    assert.deepEqual([...request.params], [['vrouter', 'a\\tb']]);
    assert.equal(request.format, 'JSON');
  });

  it('takes the FORMAT clause over default_format, and the headers over the parameters', () => {
    assert.equal(parse('default_format=JSON', {}, 'SELECT 1 FORMAT JSONEachRow').format, 'JSONEachRow');
    assert.equal(parse('', { 'x-clickhouse-format': 'CSV' }, 'SELECT 1').format, 'CSV');
    assert.equal(parse('', {}, 'SELECT 1').format, 'TabSeparated');
    assert.equal(parse('database=a', { 'x-clickhouse-database': 'b' }, 'SELECT 1').database, 'b');
  });

  it('finds the FORMAT clause past strings, comments, functions and a SETTINGS clause', () => {
    assert.equal(formatClause("SELECT 'FORMAT JSON' AS s FORMAT CSV SETTINGS max_threads = 1"), 'CSV');
    assert.equal(formatClause("SELECT format('{}', x) FROM t -- FORMAT JSON\n"), undefined);
    assert.equal(formatClause('SELECT 1 AS format FROM t'), undefined);
    assert.equal(formatClause('SELECT * FROM (SELECT 1) FORMAT Native;'), 'Native');
    assert.equal(formatClause('select 1 format jsoneachrow /* c */'), 'jsoneachrow');
  });

  it('names each format family with the Content-Type ClickHouse sends', () => {
    assert.equal(contentType('JSONEachRow'), 'application/json; charset=UTF-8');
    assert.equal(contentType('TSVWithNames'), 'text/tab-separated-values; charset=UTF-8');
    assert.equal(contentType('CSVWithNames'), 'text/csv; charset=UTF-8; header=present');
    assert.equal(contentType('RowBinaryWithNamesAndTypes'), 'application/octet-stream');
    assert.equal(contentType('Native'), 'application/octet-stream');
    assert.equal(contentType('Pretty'), 'text/plain; charset=UTF-8');
  });

  it('reads credentials from the X-ClickHouse headers, basic auth or the parameters, never two', () => {
    const viaHeaders = parse('', { 'x-clickhouse-user': 'u', 'x-clickhouse-key': 'k' });
    assert.deepEqual([viaHeaders.user, viaHeaders.password], ['u', 'k']);
    const viaBasic = parse('', basic('grafana', 'a:b'));
    assert.equal(viaBasic.user, 'grafana');
    assert.equal(viaBasic.password, 'a:b');
    const viaParams = parse('user=u&password=p');
    assert.deepEqual([viaParams.user, viaParams.password], ['u', 'p']);
    assert.deepEqual([parse('').user, parse('').password], ['default', '']);
    assert.throws(() => parse('user=u', basic('u', 'p')), refusal('AUTHENTICATION_FAILED', /simultaneously/));
    assert.throws(
      () => parse('', { authorization: 'Bearer x' }),
      refusal('AUTHENTICATION_FAILED', /'Bearer'/),
    );
  });

  it('refuses the ClickHouse features it lacks instead of ignoring them', () => {
    assert.throws(() => parse('compress=1'), refusal('NOT_IMPLEMENTED', /enable_http_compression/));
    assert.doesNotThrow(() => parse('compress=0'));
    assert.throws(() => parse('session_id=s1'), refusal('NOT_IMPLEMENTED', /sessions/));
    assert.throws(() => parse('client_protocol_version=abc'), refusal('BAD_ARGUMENTS'));
  });
});

describe('settings of a request', () => {
  const limits = { max_execution_time: 60, max_result_bytes: 1000, max_rows_to_read: 0 };

  it('keeps the tighter of the client limit and the endpoint one, and ends with readonly=1', () => {
    const settings = requestSettings(
      new Map([
        ['max_execution_time', '5'],
        ['max_result_bytes', '0'],
        ['max_rows_to_read', '7'],
        ['max_threads', '1'],
      ]),
      limits,
    );
    assert.equal(settings.get('max_execution_time'), '5');
    assert.equal(settings.get('max_result_bytes'), '1000', 'unlimited is not tighter');
    assert.equal(settings.get('max_rows_to_read'), '7', 'the endpoint sets no limit here');
    assert.equal(settings.get('max_threads'), '1');
    assert.equal(settings.get('output_format_json_quote_64bit_integers'), '1', "the server's default");
    assert.deepEqual([...settings.keys()].at(-1), 'readonly');
    assert.equal(settings.get('readonly'), '1');
    assert.equal(
      requestSettings(new Map([['max_execution_time', '600']]), limits).get('max_execution_time'),
      '60',
    );
  });

  it('refuses to change readonly, and names that are not settings', () => {
    assert.equal(requestSettings(new Map([['readonly', '1']]), limits).get('readonly'), '1');
    assert.throws(() => requestSettings(new Map([['readonly', '0']]), limits), refusal('READONLY'));
    assert.throws(() => requestSettings(new Map([['max threads', '1']]), limits), refusal('BAD_ARGUMENTS'));
  });
});

describe('exceptions as ClickHouse sends them', () => {
  it('maps the exception name to the HTTP status, from the engine text or our own', () => {
    const readonly = exceptionReply(
      new Error('Code: 164. DB::Exception: default: Cannot execute query in readonly mode. (READONLY)'),
    );
    assert.deepEqual([readonly.status, readonly.code, readonly.name], [500, 164, 'READONLY']);
    const nested = exceptionReply(
      new Error(
        'Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format Nope. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)',
      ),
    );
    assert.deepEqual([nested.status, nested.name], [404, 'UNKNOWN_FORMAT']);
    assert.equal(
      exceptionReply(new Error('Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)')).status,
      400,
    );
    assert.equal(
      exceptionReply(new Error('Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)')).status,
      408,
    );
    const ours = exceptionReply(new Error('boom'));
    assert.deepEqual([ours.status, ours.code, ours.name], [500, 1002, 'UNKNOWN_EXCEPTION']);
    assert.equal(ours.body, 'Code: 1002. DB::Exception: boom. (UNKNOWN_EXCEPTION)\n');
  });
});

describe('ClickHouse type names', () => {
  it('splits arguments at the top level, past quotes and nested types', () => {
    assert.deepEqual(parseType("DateTime64(6, 'UTC')"), { name: 'DateTime64', args: ['6', "'UTC'"] });
    assert.deepEqual(parseType("Enum8('a,b' = 1, 'c)' = 2)"), {
      name: 'Enum8',
      args: ["'a,b' = 1", "'c)' = 2"],
    });
    assert.deepEqual(parseType('Map(LowCardinality(String), Array(Tuple(a UInt8, b String)))'), {
      name: 'Map',
      args: ['LowCardinality(String)', 'Array(Tuple(a UInt8, b String))'],
    });
    assert.deepEqual(parseType('UInt64'), { name: 'UInt64', args: [] });
  });
});
