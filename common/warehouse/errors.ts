import { errorMessage } from '../errors.js';

/**
 * Which warehouse refusals are about the data itself. Retrying an insert the engine refused for its
 * input can never pass, and would hold back every other batch of the topic; those refusals are
 * *permanent for the data*: the writer isolates the records at fault and stores them as dead letters.
 * Everything else — connection failures, timeouts, memory limits, too many parts or queries, and our
 * own faults (bad SQL, a missing table, an unreadable format schema), which no record causes and
 * which a fixed deployment would store — stays *transient*: the delivery fails and is retried, as
 * before. A code missing from this list is transient: an unknown refusal stalls rather than drops.
 *
 * Codes as ClickHouse numbers them (`errorCodeToName(code)` names them; the names below were read
 * from it). Both drivers carry them: @clickhouse/client errors have a numeric string `code`, chdb's
 * messages start with `Code: NNN.`; our drivers wrap either, keeping it in the message or the cause.
 */
const refusesData = new Map<number, string>([
  [6, 'CANNOT_PARSE_TEXT'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  // Our rows are length-framed by us: a record that ends early is the record's fault.
  [32, 'ATTEMPT_TO_READ_AFTER_EOF'],
  [33, 'CANNOT_READ_ALL_DATA'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  // throwIf() in an insert expression judges a value read from a record.
  [395, 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO'],
  // A varint too large for the column it is read into (a uint32 field holding 2^40).
  [436, 'PROTOBUF_BAD_CAST'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'],
  // A wire type the message's field does not have: the record's bytes, not the schema.
  [444, 'UNKNOWN_PROTOBUF_FORMAT'],
  [467, 'CANNOT_PARSE_BOOL'],
]);

/**
 * TOO_MANY_PARTS is both "merges lag behind inserts" (transient: wait) and "too many partitions for
 * a single INSERT block" (records spread over too many days: a smaller insert passes), told apart by
 * the message only.
 */
const TOO_MANY_PARTS = 252;
const tooManyPartitions = /too many partitions for single insert block/i;

/** The ClickHouse error code of a warehouse error (or of its causes), when it carries one. */
export function warehouseErrorCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && Number.isInteger(code)) return code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    const inMessage = /\bCode: (\d+)\b/.exec(errorMessage(e))?.[1];
    if (inMessage !== undefined) return Number(inMessage);
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export type WarehouseRefusal =
  { permanent: true; code: number; name: string } | { permanent: false; code: number | undefined };

/** Whether the warehouse refused the data itself (permanent) or may take it later (transient). */
export function classifyWarehouseError(err: unknown): WarehouseRefusal {
  const code = warehouseErrorCode(err);
  if (code === undefined) return { permanent: false, code };
  if (code === TOO_MANY_PARTS)
    return tooManyPartitions.test(messages(err))
      ? { permanent: true, code, name: 'TOO_MANY_PARTS (partitions per insert)' }
      : { permanent: false, code };
  const name = refusesData.get(code);
  return name ? { permanent: true, code, name } : { permanent: false, code };
}

/** The messages of an error and its causes, joined. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    out.push(errorMessage(e));
    e = (e as { cause?: unknown }).cause;
  }
  return out.join('\n');
}
