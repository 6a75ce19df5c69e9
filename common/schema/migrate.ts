import { logger } from '../log.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { migrations, type Migration, type SchemaContext } from './migrations.js';

const log = logger('schema');

async function schemaContext(warehouse: Warehouse): Promise<SchemaContext> {
  const settings = await warehouse.query<{ name: string }>('SELECT name FROM system.merge_tree_settings');
  return {
    dictionarySource: warehouse.dictionarySource(),
    mergeTreeSettings: new Set(settings.map((s) => s.name)),
  };
}

/** Applies the migrations not yet recorded, in order; safe to run at every start. */
export async function migrate(warehouse: Warehouse, all: Migration[] = migrations): Promise<number[]> {
  await warehouse.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = MergeTree ORDER BY id`);
  const done = new Set(
    (await warehouse.query<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)),
  );
  const applied: number[] = [];
  const context = await schemaContext(warehouse);
  for (const m of all.filter((m) => !done.has(m.id)).sort((a, b) => a.id - b.id)) {
    for (const statement of m.statements) {
      const sql = typeof statement === 'string' ? statement : statement(context);
      if (sql !== undefined) await warehouse.exec(sql);
    }
    await warehouse.exec('INSERT INTO schema_migrations (id, name) VALUES ({id:UInt32}, {name:String})', {
      id: m.id,
      name: m.name,
    });
    log.info({ migration: m.id, name: m.name }, 'applied migration');
    applied.push(m.id);
  }
  return applied;
}
