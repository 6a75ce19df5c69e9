/**
 * Errors as a ClickHouse server sends them over HTTP: a status from the exception's name, the header
 * X-ClickHouse-Exception-Code, and a body `Code: N. DB::Exception: <message>. (NAME)`. The engine's
 * own errors already have that text; the endpoint's (authentication, parameters) are made here.
 */
export class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(`Code: ${code}. DB::Exception: ${message}. (${codeName})`);
  }
}

/** The endpoint's own refusals, with ClickHouse's code for each. */
export const codes = {
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_COMPRESSION_METHOD: 89,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  AUTHENTICATION_FAILED: 516,
  READONLY: 164,
  UNKNOWN_EXCEPTION: 1002,
} as const;

export const exception = (name: keyof typeof codes, message: string): ClickHouseException =>
  new ClickHouseException(codes[name], name, message);

/** The status ClickHouse answers each exception with (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), by name. */
const statusByName: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  ...Object.fromEntries(
    ['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED'].map(
      (n) => [n, 403],
    ),
  ),
  ...Object.fromEntries(
    [
      'BAD_ARGUMENTS',
      'CANNOT_COMPILE_REGEXP',
      'CANNOT_PARSE_TEXT',
      'CANNOT_PARSE_ESCAPE_SEQUENCE',
      'CANNOT_PARSE_QUOTED_STRING',
      'CANNOT_PARSE_DATE',
      'CANNOT_PARSE_DATETIME',
      'CANNOT_PARSE_NUMBER',
      'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
      'CANNOT_PARSE_IPV4',
      'CANNOT_PARSE_IPV6',
      'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
      'CANNOT_PARSE_UUID',
      'DUPLICATE_COLUMN',
      'ILLEGAL_COLUMN',
      'UNKNOWN_ELEMENT_IN_AST',
      'UNKNOWN_TYPE_OF_AST_NODE',
      'THERE_IS_NO_COLUMN',
      'TOO_DEEP_AST',
      'TOO_BIG_AST',
      'UNEXPECTED_AST_STRUCTURE',
      'SYNTAX_ERROR',
      'INCORRECT_DATA',
      'TYPE_MISMATCH',
      'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
    ].map((n) => [n, 400]),
  ),
  ...Object.fromEntries(
    [
      'UNKNOWN_TABLE',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_IDENTIFIER',
      'UNKNOWN_TYPE',
      'UNKNOWN_STORAGE',
      'UNKNOWN_DATABASE',
      'UNKNOWN_SETTING',
      'UNKNOWN_DIRECTION_OF_SORTING',
      'UNKNOWN_AGGREGATE_FUNCTION',
      'UNKNOWN_FORMAT',
      'UNKNOWN_DATABASE_ENGINE',
      'UNKNOWN_TYPE_OF_QUERY',
      'UNKNOWN_ROLE',
    ].map((n) => [n, 404]),
  ),
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  SOCKET_TIMEOUT: 503,
  CANNOT_OPEN_FILE: 503,
  CANNOT_SCHEDULE_TASK: 503,
  HTTP_LENGTH_REQUIRED: 411,
  TIMEOUT_EXCEEDED: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** What the client is sent for a failure: the status, the code header and the body. */
export interface ExceptionReply {
  status: number;
  code: number;
  name: string;
  body: string;
}

/**
 * The reply to any failure: a ClickHouseException, an engine error (its text names the code and,
 * last, the exception's name), or anything else, which is a fault of ours (UNKNOWN_EXCEPTION).
 */
export function exceptionReply(err: unknown): ExceptionReply {
  const text = err instanceof Error ? err.message : String(err);
  const code = /^Code: (\d+)\./.exec(text)?.[1];
  if (code === undefined) return exceptionReply(exception('UNKNOWN_EXCEPTION', text));
  // The innermost exception's name closes the text: "... (READONLY)" or "... (READONLY) (version …)".
  const names = [...text.matchAll(/\(([A-Z][A-Z0-9_]+)\)/g)];
  const name = names.at(-1)?.[1] ?? 'UNKNOWN_EXCEPTION';
  return { status: statusByName[name] ?? 500, code: Number(code), name, body: `${text}\n` };
}
