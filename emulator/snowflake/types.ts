/**
 * Snowflake data types → Postgres. Semantics kept where the loader can see them:
 *  - every integer type is NUMBER(38,0) in Snowflake, so INTEGER/SMALLINT/… become numeric(38,0)
 *    (a SMALLINT column takes 100000 in Snowflake; Postgres' smallint would refuse it);
 *  - CHAR(n) does not blank-pad in Snowflake → varchar(n);
 *  - TIMESTAMP is TIMESTAMP_NTZ (the default TIMESTAMP_TYPE_MAPPING) → timestamp; LTZ/TZ → timestamptz;
 *  - VARIANT / OBJECT / ARRAY → jsonb domains `furrow_sf.variant|object|array` (OBJECT and ARRAY check
 *    the JSON type, as Snowflake does; information_schema reports them by name).
 */
import { compilationError } from './errors';

export interface MappedType {
  /** Postgres type for a column definition. */
  column: string;
  /** Postgres type for a cast (`::`), where the domains are replaced by plain jsonb. */
  cast: string;
  /** Canonical Snowflake name (information_schema DATA_TYPE). */
  snowflake: string;
}

const INTEGER_NAMES = new Set(['INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'BYTEINT']);
const STRING_NAMES = new Set(['VARCHAR', 'STRING', 'TEXT', 'NVARCHAR', 'NVARCHAR2', 'CHAR VARYING', 'CHARACTER VARYING', 'NCHAR VARYING']);
const CHAR_NAMES = new Set(['CHAR', 'CHARACTER', 'NCHAR']);
const FLOAT_NAMES = new Set(['FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE', 'DOUBLE PRECISION', 'REAL']);
const NTZ_NAMES = new Set(['TIMESTAMP', 'TIMESTAMP_NTZ', 'TIMESTAMPNTZ', 'DATETIME', 'TIMESTAMP WITHOUT TIME ZONE']);
const TZ_NAMES = new Set(['TIMESTAMP_LTZ', 'TIMESTAMPLTZ', 'TIMESTAMP_TZ', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP WITH LOCAL TIME ZONE']);

/** Multi-word type names the parser must join before calling `mapType`. */
export const MULTI_WORD_TYPES = [
  ['DOUBLE', 'PRECISION'],
  ['CHAR', 'VARYING'],
  ['CHARACTER', 'VARYING'],
  ['NCHAR', 'VARYING'],
  ['TIMESTAMP', 'WITHOUT', 'TIME', 'ZONE'],
  ['TIMESTAMP', 'WITH', 'LOCAL', 'TIME', 'ZONE'],
  ['TIMESTAMP', 'WITH', 'TIME', 'ZONE'],
];

function intArg(args: number[], i: number, name: string, min: number, max: number): number | undefined {
  const v = args[i];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) throw compilationError(`invalid type argument ${v} for ${name}`);
  return v;
}

export function mapType(nameIn: string, args: number[] = []): MappedType {
  const name = nameIn.toUpperCase().replace(/\s+/g, ' ');
  if (INTEGER_NAMES.has(name)) return { column: 'numeric(38,0)', cast: 'numeric(38,0)', snowflake: 'NUMBER' };
  if (name === 'NUMBER' || name === 'NUMERIC' || name === 'DECIMAL' || name === 'DEC') {
    const p = intArg(args, 0, name, 1, 38) ?? 38;
    const s = intArg(args, 1, name, 0, 37) ?? 0;
    if (s > p) throw compilationError(`scale ${s} exceeds precision ${p} for ${name}`);
    return { column: `numeric(${p},${s})`, cast: `numeric(${p},${s})`, snowflake: 'NUMBER' };
  }
  if (STRING_NAMES.has(name)) {
    const n = intArg(args, 0, name, 1, 16777216);
    const t = n === undefined ? 'text' : `varchar(${n})`;
    return { column: t, cast: t, snowflake: 'TEXT' };
  }
  if (CHAR_NAMES.has(name)) {
    const n = intArg(args, 0, name, 1, 16777216) ?? 1;
    return { column: `varchar(${n})`, cast: `varchar(${n})`, snowflake: 'TEXT' };
  }
  if (FLOAT_NAMES.has(name)) return { column: 'double precision', cast: 'double precision', snowflake: 'FLOAT' };
  if (name === 'BOOLEAN' || name === 'BOOL') return { column: 'boolean', cast: 'boolean', snowflake: 'BOOLEAN' };
  if (name === 'DATE') return { column: 'date', cast: 'date', snowflake: 'DATE' };
  if (name === 'TIME') return { column: 'time', cast: 'time', snowflake: 'TIME' };
  if (NTZ_NAMES.has(name)) return { column: 'timestamp', cast: 'timestamp', snowflake: 'TIMESTAMP_NTZ' };
  if (TZ_NAMES.has(name)) return { column: 'timestamptz', cast: 'timestamptz', snowflake: name.includes('LTZ') || name.includes('LOCAL') ? 'TIMESTAMP_LTZ' : 'TIMESTAMP_TZ' };
  if (name === 'VARIANT') return { column: 'furrow_sf.variant', cast: 'jsonb', snowflake: 'VARIANT' };
  if (name === 'OBJECT') return { column: 'furrow_sf.object', cast: 'jsonb', snowflake: 'OBJECT' };
  if (name === 'ARRAY') return { column: 'furrow_sf.array', cast: 'jsonb', snowflake: 'ARRAY' };
  if (name === 'BINARY' || name === 'VARBINARY') return { column: 'bytea', cast: 'bytea', snowflake: 'BINARY' };
  throw compilationError(`Unsupported data type '${nameIn}'.`);
}
