/**
 * Errors the emulator returns the way Snowflake does: `{success:false, code, message, data:{sqlState,…}}`
 * with HTTP 200, which snowflake-sdk turns into an `OperationFailedError` carrying `code` and `sqlState`.
 */
export class SnowflakeError extends Error {
  constructor(
    /** Six-digit Snowflake error code, e.g. `001003`. */
    readonly code: string,
    readonly sqlState: string,
    message: string,
    /** `COMPILATION` or `EXECUTION`, reported in `data.type`. */
    readonly kind: 'COMPILATION' | 'EXECUTION' = 'EXECUTION',
  ) {
    super(message);
    this.name = 'SnowflakeError';
  }
}

/** `001003 / 42000`: the answer for any SQL outside the surface the emulator translates. */
export function compilationError(detail: string): SnowflakeError {
  return new SnowflakeError('001003', '42000', `SQL compilation error:\n${detail}`, 'COMPILATION');
}

/** `002003 / 42S02`: an object that does not exist. */
export function doesNotExist(kind: string, name: string): SnowflakeError {
  return new SnowflakeError('002003', '42S02', `SQL compilation error:\n${kind} '${name}' does not exist or not authorized.`, 'COMPILATION');
}

interface PgErrorLike {
  code?: string;
  message?: string;
  detail?: string;
  column?: string;
}

/**
 * Map a Postgres error (from PGlite or `pg`) to the nearest Snowflake error. Codes other than 001003 and
 * 002003 are approximations chosen from Snowflake's families (0xxxxx compilation, 100xxx data).
 */
export function fromPostgresError(err: unknown): SnowflakeError {
  if (err instanceof SnowflakeError) return err;
  const e = (err ?? {}) as PgErrorLike;
  const msg = e.message ?? String(err);
  const code = e.code ?? '';
  const name = /"([^"]+)"/.exec(msg)?.[1] ?? '';
  switch (code) {
    case '42P01': // undefined_table
      return doesNotExist('Object', name);
    case '3F000': // invalid_schema_name
      return doesNotExist('Schema', name);
    case '42703': // undefined_column
      return new SnowflakeError('000904', '42000', `SQL compilation error: error line 0 at position 0\ninvalid identifier '${name}'`, 'COMPILATION');
    case '42701': // duplicate_column
      return new SnowflakeError('002028', '42601', `SQL compilation error:\nambiguous column name '${name}' (column already exists)`, 'COMPILATION');
    case '42P07': // duplicate_table
    case '42P06': // duplicate_schema
      return new SnowflakeError('002002', '42710', `SQL compilation error:\nObject '${name}' already exists.`, 'COMPILATION');
    case '42601': // syntax_error
      return compilationError(`syntax error: ${msg}`);
    case '42883': // undefined_function
      return new SnowflakeError('002140', '42601', `SQL compilation error:\nUnknown function: ${msg}`, 'COMPILATION');
    case '42804': // datatype_mismatch
    case '42846': // cannot_coerce
      return new SnowflakeError('002023', '22000', `SQL compilation error:\nExpression type does not match column data type: ${msg}`, 'COMPILATION');
    case '23502': // not_null_violation
      return new SnowflakeError('100072', '22000', `NULL result in a non-nullable column${e.column ? ` '${e.column.toUpperCase()}'` : ''}`);
    case '22001': // string_data_right_truncation
      return new SnowflakeError('100074', '22000', `User character length limit exceeded: ${msg}`);
    case '23514': // check_violation (our OBJECT/ARRAY domains)
      return new SnowflakeError('100069', '22000', `Error parsing JSON / wrong semi-structured type: ${msg}`);
    case '22P02': // invalid_text_representation
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22003': // numeric_value_out_of_range
    case '22P05': // untranslatable_character
    case '22012': // division_by_zero
      return new SnowflakeError('100038', '22018', `${msg}`);
    case '40P01':
    case '40001':
      return new SnowflakeError('000625', '57014', `Statement reached its statement or warehouse timeout / conflict: ${msg}`);
    default:
      return new SnowflakeError('000603', 'XX000', `SQL execution internal error: ${msg}`);
  }
}
