import type { EngineConnection, EngineResult } from '../../common/warehouse/chdb.js';
import { sqlString } from '../../common/warehouse/warehouse.js';
import { exception } from './exceptions.js';
import type { ClickHouseRequest } from './request.js';

/**
 * The engine's limits on every query of the endpoint, as ClickHouse settings. A client may ask for
 * tighter ones (Grafana sends max_execution_time); a looser or unlimited value (0) is replaced by the
 * endpoint's, which the engine then enforces (readonly=1 refuses any later change).
 */
export type EngineLimits = Readonly<Record<string, number>>;

/** The ClickHouse server's defaults where the embedded engine's differ. */
const SERVER_DEFAULTS: Readonly<Record<string, string>> = {
  output_format_json_quote_64bit_integers: '1',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The settings of one request: the server's defaults, the client's, the limits (the tighter of the
 * client's and the endpoint's), and readonly=1 last, so that it holds for everything after.
 */
export function requestSettings(
  client: ReadonlyMap<string, string>,
  limits: EngineLimits,
): Map<string, string> {
  const readonly = client.get('readonly');
  if (readonly !== undefined && readonly !== '1')
    throw exception('READONLY', "Cannot modify 'readonly' setting in readonly mode");
  const settings = new Map(Object.entries(SERVER_DEFAULTS));
  for (const [name, value] of client) {
    if (!IDENTIFIER.test(name)) throw exception('BAD_ARGUMENTS', `'${name}' is not a setting name`);
    settings.set(name, value);
  }
  for (const [name, limit] of Object.entries(limits)) {
    const asked = client.get(name);
    const value = Number(asked);
    const tighter =
      asked !== undefined && (limit === 0 || (Number.isFinite(value) && value > 0 && value <= limit));
    settings.set(name, tighter ? asked : String(limit));
  }
  settings.delete('readonly');
  settings.set('readonly', '1');
  return settings;
}

/**
 * Runs one request on its own connection: first a SET of its settings ending with readonly=1 (the
 * engine refuses every write and every later setting change from then on), then its query
 * parameters and database, then the query. Nothing the client sent runs before readonly is set.
 */
export async function execute(
  connection: EngineConnection,
  request: ClickHouseRequest,
  limits: EngineLimits,
): Promise<EngineResult> {
  const settings = requestSettings(request.settings, limits);
  await connection.run(
    `SET ${[...settings].map(([name, value]) => `${name} = ${sqlString(value)}`).join(', ')}`,
    'TabSeparated',
  );
  if (request.params.size > 0) {
    for (const name of request.params.keys())
      if (!IDENTIFIER.test(name))
        throw exception('BAD_ARGUMENTS', `'param_${name}' is not a query parameter name`);
    await connection.run(
      `SET ${[...request.params].map(([name, value]) => `param_${name} = ${sqlString(value)}`).join(', ')}`,
      'TabSeparated',
    );
  }
  if (request.database)
    await connection.run(`USE \`${request.database.replace(/[\\`]/g, (c) => `\\${c}`)}\``, 'TabSeparated');
  if (request.query.trim() === '') throw exception('SYNTAX_ERROR', 'Empty query');
  return connection.run(request.query, request.defaultFormat);
}
