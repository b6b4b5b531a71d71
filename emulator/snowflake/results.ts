/**
 * Postgres results (text format) → Snowflake's JSON result shape, as snowflake-sdk decodes it
 * (`lib/connection/result/column.js`): `rowtype[]` with Snowflake type names, `rowset` of strings or
 * nulls — fixed/real as numeric text, boolean "1"/"0", date as days since the epoch, timestamp_* as
 * epoch seconds with a 9-digit fraction (scale 9), variant as JSON text.
 */
export interface PgField {
  name: string;
  /** Postgres type OID. */
  typeId: number;
  /** Type modifier when the driver reports it (pg), else -1. */
  typmod: number;
}

export interface RawResult {
  fields: PgField[];
  rows: (string | null)[][];
  /** Rows affected (INSERT/UPDATE/DELETE) when the command reports it. */
  rowCount: number | null;
}

export interface RowType {
  name: string;
  database: string;
  schema: string;
  table: string;
  nullable: boolean;
  type: string;
  byteLength: number | null;
  length: number | null;
  scale: number | null;
  precision: number | null;
  collation: null;
}

export interface SnowflakeResult {
  rowtype: RowType[];
  rowset: (string | null)[][];
}

const OID = {
  BOOL: 16,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  OID: 26,
  JSON: 114,
  FLOAT4: 700,
  FLOAT8: 701,
  DATE: 1082,
  TIME: 1083,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  NUMERIC: 1700,
  JSONB: 3802,
  BYTEA: 17,
} as const;

function rowType(name: string, type: string, extra: Partial<RowType> = {}): RowType {
  return { name, database: '', schema: '', table: '', nullable: true, type, byteLength: null, length: null, scale: null, precision: null, collation: null, ...extra };
}

export function textColumn(name: string): RowType {
  return rowType(name, 'text', { byteLength: 16777216, length: 16777216 });
}

export function fixedColumn(name: string, scale = 0): RowType {
  return rowType(name, 'fixed', { precision: 38, scale });
}

/** Seconds since the epoch with a 9-digit fraction, from a Postgres timestamp text (`2021-10-13 20:21:47.595072[+00]`). */
export function epochText(pg: string): string {
  if (pg === 'infinity') return '253402300799.999999999';
  if (pg === '-infinity') return '-62135596800.000000000';
  const m = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/.exec(pg);
  if (!m) return pg;
  let year = Number(m[1]);
  if (m[12]) year = 1 - year;
  // setUTCFullYear takes any year as is (Date.UTC would map 0-99 to 1900+)
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  let secs = d.getTime() / 1000;
  if (m[8]) secs -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  return `${secs}.${(m[7] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

function daysText(pg: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/.exec(pg);
  if (!m) return pg;
  const d = new Date(0);
  d.setUTCFullYear(m[4] ? 1 - Number(m[1]) : Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return String(Math.round(d.getTime() / 86_400_000));
}

function timeText(pg: string): string {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(pg);
  if (!m) return pg;
  return `${Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])}.${(m[4] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

function floatText(pg: string): string {
  if (pg === 'Infinity') return 'inf';
  if (pg === '-Infinity') return '-inf';
  return pg;
}

/** Convert one Postgres result to Snowflake's rowtype + rowset. `names` overrides column names (null = keep). */
export function toSnowflakeResult(raw: RawResult, names?: (string | null)[]): SnowflakeResult {
  const rowtype: RowType[] = [];
  const encoders: ((v: string) => string)[] = [];
  raw.fields.forEach((f, i) => {
    const name = names?.[i] ?? f.name;
    switch (f.typeId) {
      case OID.BOOL:
        rowtype.push(rowType(name, 'boolean'));
        encoders.push((v) => (v === 't' || v === 'true' ? '1' : '0'));
        break;
      case OID.INT2:
      case OID.INT4:
      case OID.INT8:
      case OID.OID:
        rowtype.push(fixedColumn(name, 0));
        encoders.push((v) => v);
        break;
      case OID.NUMERIC: {
        let scale = f.typmod >= 4 ? (f.typmod - 4) & 0xffff : -1;
        const precision = f.typmod >= 4 ? ((f.typmod - 4) >> 16) & 0xffff : 38;
        if (scale < 0) scale = Math.max(0, ...raw.rows.map((r) => (r[i] ?? '').split('.')[1]?.length ?? 0));
        rowtype.push(rowType(name, 'fixed', { precision, scale }));
        encoders.push((v) => v);
        break;
      }
      case OID.FLOAT4:
      case OID.FLOAT8:
        rowtype.push(rowType(name, 'real'));
        encoders.push(floatText);
        break;
      case OID.TIMESTAMP:
        rowtype.push(rowType(name, 'timestamp_ntz', { scale: 9, precision: 0 }));
        encoders.push(epochText);
        break;
      case OID.TIMESTAMPTZ:
        rowtype.push(rowType(name, 'timestamp_ltz', { scale: 9, precision: 0 }));
        encoders.push(epochText);
        break;
      case OID.DATE:
        rowtype.push(rowType(name, 'date'));
        encoders.push(daysText);
        break;
      case OID.TIME:
        rowtype.push(rowType(name, 'time', { scale: 9, precision: 0 }));
        encoders.push(timeText);
        break;
      case OID.JSON:
      case OID.JSONB:
        rowtype.push(rowType(name, 'variant'));
        encoders.push((v) => v);
        break;
      case OID.BYTEA:
        rowtype.push(rowType(name, 'binary', { byteLength: 8388608, length: 8388608 }));
        encoders.push((v) => (v.startsWith('\\x') ? v.slice(2).toUpperCase() : v));
        break;
      default:
        rowtype.push(textColumn(name));
        encoders.push((v) => v);
    }
  });
  const rowset = raw.rows.map((r) => r.map((v, i) => (v === null ? null : encoders[i]!(v))));
  return { rowtype, rowset };
}

/** A one-column text result, as DDL and session statements return (`status`). */
export function statusResult(message: string, column = 'status'): SnowflakeResult {
  return { rowtype: [textColumn(column)], rowset: [[message]] };
}
