import type { ProtobufInsert } from '../warehouse/warehouse.js';
import { batchColumns, stampStructure } from './catalog/batch.js';
import type { Field, RecordCatalog } from './catalog/types.js';

/**
 * How a kind's `<Kind>Row` messages become rows of its table: every record field is read as
 * `record_<field> Type` and every stored column is computed from what was read; the time and the
 * batch columns come along. The engine does the conversions, so the writer never decodes a record.
 */
export function rowsInsert(catalog: RecordCatalog): ProtobufInsert {
  const fields: Field[] = [catalog.time, ...catalog.fields];
  const read = fields.filter((f) => f.proto !== undefined).map((f) => `record_${f.proto} ${f.read}`);
  return {
    table: catalog.table.name,
    schema: `records.proto:${catalog.row}`,
    structure: [...read, ...stampStructure].join(', '),
    columns: [
      [catalog.time.column, storedValue(catalog.time)],
      ...batchColumns.map((c) => [c.column, c.insert] as const),
      ...catalog.fields
        .filter((f) => !f.materialized)
        .map((f) => [quoted(f.column), storedValue(f)] as const),
    ],
  };
}

const storedValue = (field: Field): string => {
  const read = `record_${field.proto ?? field.column}`;
  return field.insert ? field.insert(read) : read;
};

/** A column name as SQL: dotted names (subcolumns of a Nested) need quotes. */
export const quoted = (column: string): string => (column.includes('.') ? `\`${column}\`` : column);
