/**
 * Token-level rewriting of Snowflake expressions and query bodies into Postgres SQL:
 *  - unquoted identifiers fold to UPPER CASE and are emitted quoted (`app_id` → `"APP_ID"`), quoted
 *    ones keep their case; a database prefix on a table name (`db.schema.t`) is dropped;
 *  - semi-structured paths `x:a.b[0]` → `(x -> 'a' -> 'b' -> 0)`, and `x:a::string` → `((…) #>> '{}')::text`;
 *  - `::TYPE` / `CAST(… AS TYPE)` map types (types.ts); `?` / `:n` binds become `$k`;
 *  - `MINUS` → `EXCEPT`; Snowflake functions map to Postgres ones or to shims in schema `furrow_sf`
 *    (`parse_json`, `sysdate`, `current_timestamp()` …); an unknown function is a compilation error.
 * Anything outside this surface fails with `SQL compilation error` (001003) instead of running wrong.
 */
import { Cursor } from './cursor';
import { compilationError } from './errors';
import { isWord, type Token } from './lexer';
import { MULTI_WORD_TYPES, mapType } from './types';

/** Words passed through as SQL keywords (never quoted as identifiers). */
export const KEYWORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'NULL', 'TRUE', 'FALSE', 'AS', 'LIMIT', 'OFFSET', 'FETCH', 'NEXT', 'ROWS', 'ROW', 'ONLY',
  'ORDER', 'BY', 'GROUP', 'HAVING', 'IN', 'IS', 'LIKE', 'ILIKE', 'BETWEEN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'DISTINCT', 'EXISTS',
  'UNION', 'ALL', 'EXCEPT', 'INTERSECT', 'MINUS', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'OUTER', 'FULL', 'CROSS', 'NATURAL', 'ON', 'USING',
  'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'WITH', 'CAST', 'ANY', 'SOME',
  'DEFAULT', 'INTERVAL', 'CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'LOCALTIMESTAMP', 'LOCALTIME', 'ESCAPE', 'OVER', 'PARTITION',
  'RECURSIVE',
]);

const UNSUPPORTED_KEYWORDS = new Set(['QUALIFY', 'PIVOT', 'UNPIVOT', 'MATCH_RECOGNIZE', 'TABLESAMPLE', 'LATERAL']);

/** Snowflake function → Postgres function (name only; arguments are translated as they are). */
const FUNCTIONS: Record<string, string> = {
  COUNT: 'count', SUM: 'sum', MIN: 'min', MAX: 'max', AVG: 'avg', COALESCE: 'coalesce', NVL: 'coalesce', IFNULL: 'coalesce',
  NULLIF: 'nullif', GREATEST: 'greatest', LEAST: 'least', LOWER: 'lower', UPPER: 'upper', LENGTH: 'length', LEN: 'length',
  TRIM: 'btrim', LTRIM: 'ltrim', RTRIM: 'rtrim', ABS: 'abs', ROUND: 'round', FLOOR: 'floor', CEIL: 'ceil', CEILING: 'ceil',
  CONCAT: 'concat', SUBSTR: 'substr', SUBSTRING: 'substr', REPLACE: 'replace', MOD: 'mod', DATE_TRUNC: 'date_trunc',
  ANY_VALUE: 'min', ROW_NUMBER: 'row_number', RANK: 'rank', SPLIT_PART: 'split_part', STARTSWITH: 'starts_with',
  PARSE_JSON: 'furrow_sf.parse_json', TRY_PARSE_JSON: 'furrow_sf.try_parse_json', TO_VARIANT: 'to_jsonb', TO_JSON: 'furrow_sf.to_json',
  OBJECT_CONSTRUCT: 'jsonb_build_object', ARRAY_CONSTRUCT: 'jsonb_build_array', ARRAY_SIZE: 'jsonb_array_length',
  OBJECT_KEYS: 'furrow_sf.object_keys', TYPEOF: 'furrow_sf.typeof', TO_VARCHAR: 'furrow_sf.to_varchar', TO_CHAR: 'furrow_sf.to_varchar',
  AS_VARCHAR: 'furrow_sf.to_varchar', TO_TIMESTAMP: 'furrow_sf.to_timestamp', TO_TIMESTAMP_NTZ: 'furrow_sf.to_timestamp',
  CURRENT_TIMESTAMP: 'furrow_sf.current_timestamp', SYSDATE: 'furrow_sf.sysdate', GETDATE: 'furrow_sf.current_timestamp',
  CURRENT_DATE: 'current_date', CURRENT_SCHEMA: 'furrow_sf.current_schema', CURRENT_DATABASE: 'furrow_sf.current_database',
  CURRENT_VERSION: 'furrow_sf.current_version', HASH: 'furrow_sf.hash', MD5: 'md5', UUID_STRING: 'gen_random_uuid',
};

/** Maps Snowflake bind positions (`?` in order, or `:n`) to consecutive Postgres `$k` parameters. */
export class BindMapper {
  private readonly positions = new Map<number, number>();
  /** Snowflake bind positions (1-based) in Postgres parameter order. */
  readonly order: number[] = [];
  private questionMarks = 0;

  ref(token: Token): string {
    const n = token.value === '' ? ++this.questionMarks : Number(token.value);
    if (!Number.isSafeInteger(n) || n < 1) throw compilationError(`invalid bind variable ${token.raw}`);
    let k = this.positions.get(n);
    if (k === undefined) {
      this.order.push(n);
      k = this.order.length;
      this.positions.set(n, k);
    }
    return `$${k}`;
  }
}

export interface ExprContext {
  binds: BindMapper;
}

/** Snowflake identifier token → stored name (unquoted folds to upper case). */
export function identValue(t: Token): string {
  if (t.type === 'word') return t.value.toUpperCase();
  if (t.type === 'qident') return t.value;
  throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${t.raw}' (expected an identifier).`);
}

/** Postgres quoted identifier. */
export function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Postgres string literal. */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Parse a type at the cursor (`NUMBER(18,2)`, `DOUBLE PRECISION`, `TIMESTAMP_NTZ(9)`), returning its Snowflake name and args. */
export function parseTypeAt(c: Cursor): { name: string; args: number[] } {
  const first = c.peek();
  if (first.type !== 'word') throw c.unexpected('a data type');
  let name = first.value.toUpperCase();
  let taken = 1;
  for (const multi of MULTI_WORD_TYPES)
    if (multi[0] === name && multi.every((w, k) => isWord(c.peek(k), w)) && multi.length > taken) {
      name = multi.join(' ');
      taken = multi.length;
    }
  c.i += taken;
  const args: number[] = [];
  if (c.isOp('(')) {
    c.next();
    for (;;) {
      const t = c.next();
      if (t.type !== 'number') throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${t.raw}' in type arguments.`);
      args.push(Number(t.value));
      if (c.acceptOp(')')) break;
      c.expectOp(',');
    }
  }
  return { name, args };
}

const OBJECT_CLAUSES = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE']);
const CLAUSES = new Set(['SELECT', 'FROM', 'JOIN', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'INTO', 'UPDATE', 'SET', 'VALUES', 'ON', 'USING']);

/** Translate a run of expression / query tokens to Postgres SQL text. */
export function translateTokens(tokens: Token[], ctx: ExprContext): string {
  const c = new Cursor([...tokens, { type: 'eof', value: '', pos: tokens.at(-1)?.pos ?? 0, raw: '' }], '');
  const out: string[] = [];
  /** For each open paren: where its primary starts in `out` (function name or the paren), and the clause stack depth. */
  const parens: { start: number; castParen: boolean }[] = [];
  const clauses: string[] = ['SELECT'];
  /** Where the last complete primary expression starts in `out` (paths and casts wrap it), or null. */
  let primaryStart: number | null = null;
  /** Set when the last primary is a semi-structured path (a `::` cast then extracts text). */
  let primaryIsPath = false;
  let castAsPending = false;

  const emit = (s: string) => out.push(s);
  const wrapPrimary = (suffix: string) => {
    const base = out.splice(primaryStart!).join(' ');
    out.push(`(${base}${suffix})`);
  };

  while (!c.atEnd()) {
    const t = c.next();
    const up = t.type === 'word' ? t.value.toUpperCase() : '';
    switch (t.type) {
      case 'word': {
        if (up.includes('$')) throw compilationError(`invalid identifier '${t.value}' (METADATA$ columns exist only in COPY INTO)`);
        if (UNSUPPORTED_KEYWORDS.has(up) && !c.isOp('.')) throw compilationError(`'${up}' is not supported by the Furrow Snowflake emulator.`);
        if (up === 'AS' && castAsPending && parens.length && parens[parens.length - 1]!.castParen) {
          const ty = parseTypeAt(c);
          emit(`AS ${mapType(ty.name, ty.args).cast}`);
          castAsPending = false;
          primaryStart = null;
          break;
        }
        if (up === 'CAST' && c.isOp('(')) {
          c.next();
          parens.push({ start: out.length, castParen: true });
          emit('CAST(');
          castAsPending = true;
          primaryStart = null;
          break;
        }
        if (KEYWORDS.has(up) && !(FUNCTIONS[up] && c.isOp('('))) {
          const start = out.length;
          emit(up === 'MINUS' ? 'EXCEPT' : up);
          if (CLAUSES.has(up)) clauses[clauses.length - 1] = up;
          const isValue = up === 'NULL' || up === 'TRUE' || up === 'FALSE' || up.startsWith('CURRENT_') || up.startsWith('LOCAL');
          primaryStart = isValue ? start : null;
          primaryIsPath = false;
          break;
        }
        if (c.isOp('(')) {
          const fn = FUNCTIONS[up];
          if (!fn) throw compilationError(`Unknown function ${up}`);
          c.next();
          parens.push({ start: out.length, castParen: false });
          emit(`${fn}(`);
          primaryStart = null;
          break;
        }
        c.i--;
        primaryStart = out.length;
        emit(identifierChain(c, OBJECT_CLAUSES.has(clauses[clauses.length - 1]!)));
        primaryIsPath = false;
        break;
      }
      case 'qident':
        c.i--;
        primaryStart = out.length;
        emit(identifierChain(c, OBJECT_CLAUSES.has(clauses[clauses.length - 1]!)));
        primaryIsPath = false;
        break;
      case 'string':
        primaryStart = out.length;
        emit(lit(t.value));
        primaryIsPath = false;
        break;
      case 'number':
        primaryStart = out.length;
        emit(t.value);
        primaryIsPath = false;
        break;
      case 'param':
        primaryStart = out.length;
        emit(ctx.binds.ref(t));
        primaryIsPath = false;
        break;
      case 'column':
        throw compilationError(`$${t.value} is only valid in the SELECT of a COPY INTO from a stage.`);
      case 'stage':
        throw compilationError(`stage reference @${t.value} is only valid in COPY INTO.`);
      case 'op': {
        const v = t.value;
        if (v === '(') {
          parens.push({ start: out.length, castParen: false });
          clauses.push('SELECT');
          emit('(');
          primaryStart = null;
        } else if (v === ')') {
          const open = parens.pop();
          if (!open) throw compilationError(`syntax error line 1 at position ${t.pos} unexpected ')'.`);
          if (!open.castParen && out[open.start] === '(') clauses.pop();
          emit(')');
          primaryStart = open.start;
          primaryIsPath = false;
        } else if ((v === ':' || v === '[') && primaryStart !== null) {
          // semi-structured path on the last primary
          c.i--;
          wrapPrimary(pathSuffix(c));
          primaryIsPath = true;
        } else if (v === '::') {
          const ty = parseTypeAt(c);
          const m = mapType(ty.name, ty.args);
          if (primaryStart !== null && primaryIsPath && m.cast !== 'jsonb') {
            const base = out.splice(primaryStart).join(' ');
            out.push(`((${base} #>> '{}')::${m.cast})`);
          } else if (primaryStart !== null) wrapPrimary(`::${m.cast}`);
          else emit(`::${m.cast}`);
          primaryIsPath = false;
        } else if (v === '=>' || v === '{' || v === '}' || v === ']') {
          throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${v}'.`);
        } else if (v === ';') {
          throw compilationError(`syntax error line 1 at position ${t.pos} unexpected ';'.`);
        } else {
          emit(v);
          if (v !== '.') primaryStart = null;
          primaryIsPath = false;
        }
        break;
      }
      default:
        break;
    }
  }
  if (parens.length) throw compilationError(`syntax error line 1 at position ${tokens.at(-1)?.pos ?? 0} unexpected end of statement (missing ')').`);
  // Joined with spaces only: a cosmetic clean-up here could alter string literals.
  return out.join(' ');
}

/**
 * `a`, `s.t`, `db.s.t`, `t.*`, quoted or not → `"A"`, `"S"."T"`, … In an object position (after FROM,
 * JOIN, INTO, UPDATE) a three-part name drops its database.
 */
function identifierChain(c: Cursor, objectPosition: boolean): string {
  const parts = [identValue(c.next())];
  let star = false;
  while (c.isOp('.')) {
    const n = c.peek(1);
    if (n.type === 'op' && n.value === '*') {
      c.i += 2;
      star = true;
      break;
    }
    if (n.type !== 'word' && n.type !== 'qident') break;
    c.i++;
    parts.push(identValue(c.next()));
  }
  if (parts.length > 4 || (parts.length === 4 && objectPosition)) throw compilationError(`invalid identifier '${parts.join('.')}'`);
  const used = objectPosition && parts.length === 3 ? parts.slice(1) : parts;
  return used.map(q).join('.') + (star ? '.*' : '');
}

/** Parse `:key`, `.key`, `[n]`, `['key']` steps of a semi-structured path into ` -> 'key' -> n …`. */
function pathSuffix(c: Cursor): string {
  let s = '';
  let first = true;
  for (;;) {
    if (c.isOp(':') && first) {
      c.next();
      s += ` -> ${lit(pathKey(c))}`;
    } else if (c.isOp('.') && !first) {
      c.next();
      s += ` -> ${lit(pathKey(c))}`;
    } else if (c.isOp('[')) {
      c.next();
      const t = c.next();
      if (t.type === 'number' && /^\d+$/.test(t.value)) s += ` -> ${t.value}`;
      else if (t.type === 'string') s += ` -> ${lit(t.value)}`;
      else throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${t.raw}' in a path index.`);
      c.expectOp(']');
    } else break;
    first = false;
  }
  return s;
}

/** A path element name: case is kept (JSON keys are case-sensitive), quotes allowed. */
function pathKey(c: Cursor): string {
  const t = c.next();
  if (t.type === 'word' || t.type === 'qident') return t.value;
  throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${t.raw}' in a semi-structured path.`);
}
