/**
 * `SqlTranslator`: one Snowflake statement → a `Plan` the executor runs on Postgres. The surface is the
 * one the Snowplow/Furrow loaders use (spec §3.4, emulation-notes §3.7) plus what tests need to look at
 * the result; everything else is a `SQL compilation error` (001003, 42000), never a silent mis-run.
 *
 *   SELECT / WITH … (incl. information_schema), INSERT (… VALUES | … SELECT), UPDATE, DELETE
 *   CREATE [OR REPLACE] [TEMPORARY|TRANSIENT] TABLE [IF NOT EXISTS] (…) | LIKE | AS SELECT; ALTER TABLE ADD/DROP/RENAME;
 *   DROP TABLE; TRUNCATE; CREATE/DROP SCHEMA; CREATE/DROP DATABASE (no-op); CREATE/DROP/DESC STAGE;
 *   DESC TABLE; COPY INTO <table> FROM (SELECT $1:… FROM @stage/path) | @stage | 's3://…' [options];
 *   BEGIN / START TRANSACTION / COMMIT / ROLLBACK; USE …; ALTER SESSION (no-op); ALTER WAREHOUSE (no-op).
 */
import { Cursor, splitTopLevel } from './cursor';
import { compilationError, SnowflakeError } from './errors';
import { BindMapper, KEYWORDS, identValue, lit, parseTypeAt, q, translateTokens } from './expressions';
import { isWord, tokenize, type Token } from './lexer';
import { mapType } from './types';

/** Snowflake statement type ids (JDBC SFStatementType), reported as `statementTypeId`. */
export const StatementType = {
  SELECT: 0x1000,
  DML: 0x3000,
  INSERT: 0x3100,
  UPDATE: 0x3200,
  DELETE: 0x3300,
  COPY: 0x3600,
  SCL: 0x4000,
  USE: 0x4300,
  DESCRIBE: 0x4500,
  TCL: 0x5000,
  DDL: 0x6000,
} as const;

export interface ObjectName {
  schema: string;
  name: string;
}

export interface TranslateContext {
  /** The session's current schema (for unqualified object names). */
  schema: string;
}

export type Plan =
  | { kind: 'query'; sql: string; binds: number[]; statementType: number; result: 'rows' | 'insert' | 'update' | 'delete'; columnNames?: (string | null)[] }
  | { kind: 'ddl'; sql: string[]; message: string; exists?: { kind: 'table' | 'schema'; object: ObjectName; ifExistsMessage: string }; temporary?: ObjectName; binds?: number[] }
  | { kind: 'noop'; message: string; statementType: number }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'use'; target: 'DATABASE' | 'SCHEMA' | 'WAREHOUSE' | 'ROLE'; name: string; schema?: string }
  | { kind: 'create-stage'; stage: ObjectName; url: string | null; ifNotExists: boolean; orReplace: boolean; fileFormat: Record<string, string> }
  | { kind: 'drop-stage'; stage: ObjectName; ifExists: boolean }
  | { kind: 'desc-stage'; stage: ObjectName }
  | { kind: 'desc-table'; table: ObjectName }
  | CopyPlan;

export type Projection =
  | { kind: 'path'; column: number; path: (string | number)[] }
  | { kind: 'sql'; sql: string }
  | { kind: 'metadata'; name: 'FILENAME' | 'FILE_ROW_NUMBER' };

export interface CopyPlan {
  kind: 'copy';
  table: ObjectName;
  /** Target columns as stored (upper case unless quoted); null = not given. */
  columns: string[] | null;
  source: { stage: ObjectName; path: string } | { url: string };
  /** null = load the whole row (`COPY INTO t FROM @stage`). */
  projections: Projection[] | null;
  fileFormat: { type: string; compression: string; stripOuterArray: boolean };
  onError: 'ABORT_STATEMENT' | 'CONTINUE' | 'SKIP_FILE';
  force: boolean;
  pattern: RegExp | null;
  files: string[] | null;
  matchByColumnName: 'NONE' | 'CASE_SENSITIVE' | 'CASE_INSENSITIVE';
}

const UNSUPPORTED_STATEMENTS = new Set(['MERGE', 'SHOW', 'PUT', 'GET', 'LIST', 'LS', 'REMOVE', 'RM', 'CALL', 'EXECUTE', 'GRANT', 'REVOKE', 'UNDROP', 'EXPLAIN', 'UNSET', 'SET']);

export class SqlTranslator {
  translate(sqlText: string, ctx: TranslateContext): Plan {
    const all = tokenize(sqlText);
    // One statement per request (Snowflake's MULTI_STATEMENT_COUNT = 1); trailing semicolons are fine.
    let end = all.length - 1;
    while (end > 0 && all[end - 1]!.type === 'op' && all[end - 1]!.value === ';') end--;
    const tokens = [...all.slice(0, end), all[all.length - 1]!];
    const semi = tokens.findIndex((t) => t.type === 'op' && t.value === ';');
    if (semi >= 0)
      throw new SnowflakeError('000008', '0A000', 'Actual statement count 2 did not match the desired statement count 1.', 'COMPILATION');
    const c = new Cursor(tokens, sqlText);
    if (c.atEnd()) throw compilationError('Empty SQL statement.');
    const first = c.peek();
    const kw = first.type === 'word' ? first.value.toUpperCase() : first.type === 'op' && first.value === '(' ? 'SELECT' : '';
    switch (kw) {
      case 'SELECT':
      case 'WITH':
        return this.select(c);
      case 'INSERT':
        return this.insert(c);
      case 'UPDATE':
        return this.dml(c, 'update', StatementType.UPDATE);
      case 'DELETE':
        return this.dml(c, 'delete', StatementType.DELETE);
      case 'CREATE':
        return this.create(c, ctx);
      case 'ALTER':
        return this.alter(c, ctx);
      case 'DROP':
        return this.drop(c, ctx);
      case 'TRUNCATE':
        return this.truncate(c, ctx);
      case 'DESC':
      case 'DESCRIBE':
        return this.describe(c, ctx);
      case 'COPY':
        return this.copy(c, ctx);
      case 'BEGIN':
      case 'START':
        c.next();
        if (kw === 'START') c.expectWord('TRANSACTION');
        else if (!c.acceptWords('TRANSACTION')) c.acceptWords('WORK');
        if (c.acceptWords('NAME')) c.next();
        this.end(c);
        return { kind: 'begin' };
      case 'COMMIT':
      case 'ROLLBACK':
        c.next();
        if (!c.acceptWords('WORK')) c.acceptWords('TRANSACTION');
        this.end(c);
        return { kind: kw === 'COMMIT' ? 'commit' : 'rollback' };
      case 'USE':
        return this.use(c, ctx);
      default:
        if (UNSUPPORTED_STATEMENTS.has(kw)) throw compilationError(`'${kw}' statements are not supported by the Furrow Snowflake emulator.`);
        throw c.unexpected();
    }
  }

  private end(c: Cursor): void {
    if (!c.atEnd()) throw c.unexpected();
  }

  /** `[db.]schema.name` or `name` (in the current schema), resolved to stored case. */
  objectName(c: Cursor, ctx: TranslateContext): ObjectName {
    const parts = [identValue(c.next())];
    while (c.isOp('.')) {
      c.next();
      parts.push(identValue(c.next()));
    }
    if (parts.length === 1) return { schema: ctx.schema, name: parts[0]! };
    if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
    if (parts.length === 3) return { schema: parts[1]!, name: parts[2]! };
    throw compilationError(`invalid object name '${parts.join('.')}'`);
  }

  private select(c: Cursor): Plan {
    const binds = new BindMapper();
    const tokens = c.rest();
    const sql = translateTokens(tokens, { binds });
    return { kind: 'query', sql, binds: binds.order, statementType: StatementType.SELECT, result: 'rows', columnNames: selectColumnNames(tokens) };
  }

  private dml(c: Cursor, result: 'update' | 'delete', statementType: number): Plan {
    const binds = new BindMapper();
    const sql = translateTokens(c.rest(), { binds });
    return { kind: 'query', sql, binds: binds.order, statementType, result };
  }

  private insert(c: Cursor): Plan {
    c.expectWord('INSERT');
    if (c.isWord('OVERWRITE', 'ALL', 'FIRST')) throw compilationError(`INSERT ${c.peek().value.toUpperCase()} is not supported by the Furrow Snowflake emulator.`);
    const rest = c.rest();
    const binds = new BindMapper();
    // `INSERT INTO t (cols) SELECT <exprs>` without FROM → `VALUES (<exprs>)`: Postgres infers parameter types
    // from the target columns in VALUES, but types a bare SELECT's parameters as text (the loader's manifest insert).
    const sel = rest.findIndex((t, k) => isWord(t, 'SELECT') && depthAt(rest, k) === 0);
    if (sel > 0) {
      const tail = rest.slice(sel + 1);
      const hasClause = tail.some((t, k) => depthAt(tail, k) === 0 && isWord(t, 'FROM', 'WHERE', 'UNION', 'EXCEPT', 'MINUS', 'INTERSECT', 'GROUP', 'ORDER', 'LIMIT', 'HAVING'));
      if (!hasClause) {
        const head = translateTokens(rest.slice(0, sel), { binds });
        const values = translateTokens(tail, { binds });
        return { kind: 'query', sql: `INSERT ${head} VALUES (${values})`, binds: binds.order, statementType: StatementType.INSERT, result: 'insert' };
      }
    }
    return { kind: 'query', sql: `INSERT ${translateTokens(rest, { binds })}`, binds: binds.order, statementType: StatementType.INSERT, result: 'insert' };
  }

  private create(c: Cursor, ctx: TranslateContext): Plan {
    c.expectWord('CREATE');
    const orReplace = c.acceptWords('OR', 'REPLACE');
    let temporary = false;
    for (;;) {
      if (c.acceptWords('LOCAL') || c.acceptWords('GLOBAL')) continue;
      if (c.acceptWords('TEMPORARY') || c.acceptWords('TEMP') || c.acceptWords('VOLATILE')) {
        temporary = true;
        continue;
      }
      if (c.acceptWords('TRANSIENT')) continue;
      break;
    }
    const what = c.next();
    const kind = what.type === 'word' ? what.value.toUpperCase() : '';
    const ifNotExists = c.acceptWords('IF', 'NOT', 'EXISTS');
    if (kind === 'SCHEMA') {
      const schema = this.objectName(c, ctx).name;
      skipOptions(c);
      if (orReplace) return { kind: 'ddl', sql: [`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`, `CREATE SCHEMA ${q(schema)}`], message: `Schema ${schema} successfully created.` };
      return {
        kind: 'ddl',
        sql: [`CREATE SCHEMA ${ifNotExists ? 'IF NOT EXISTS ' : ''}${q(schema)}`],
        message: `Schema ${schema} successfully created.`,
        exists: ifNotExists ? { kind: 'schema', object: { schema, name: schema }, ifExistsMessage: `${schema} already exists, statement succeeded.` } : undefined,
      };
    }
    if (kind === 'DATABASE') {
      const name = identValue(c.next());
      skipOptions(c);
      return { kind: 'noop', message: `Database ${name} successfully created.`, statementType: StatementType.DDL };
    }
    if (kind === 'WAREHOUSE') {
      const name = identValue(c.next());
      skipOptions(c);
      return { kind: 'noop', message: `Warehouse ${name} successfully created.`, statementType: StatementType.DDL };
    }
    if (kind === 'STAGE') return this.createStage(c, ctx, ifNotExists, orReplace);
    if (kind !== 'TABLE') throw compilationError(`CREATE ${kind || what.raw} is not supported by the Furrow Snowflake emulator.`);

    const table = this.objectName(c, ctx);
    const target = `${q(table.schema)}.${q(table.name)}`;
    const pre = orReplace ? [`DROP TABLE IF EXISTS ${target}`] : [];
    const ine = ifNotExists ? 'IF NOT EXISTS ' : '';
    const exists = ifNotExists ? { kind: 'table' as const, object: table, ifExistsMessage: `${table.name} already exists, statement succeeded.` } : undefined;
    const message = `Table ${table.name} successfully created.`;
    const tmp = temporary ? table : undefined;
    if (c.acceptWords('LIKE')) {
      const src = this.objectName(c, ctx);
      return { kind: 'ddl', sql: [...pre, `CREATE TABLE ${ine}${target} (LIKE ${q(src.schema)}.${q(src.name)} INCLUDING DEFAULTS)`], message, exists, temporary: tmp };
    }
    if (c.acceptWords('AS')) {
      const binds = new BindMapper();
      const body = translateTokens(c.rest(), { binds });
      return { kind: 'ddl', sql: [...pre, `CREATE TABLE ${ine}${target} AS ${body}`], message, exists, temporary: tmp, binds: binds.order };
    }
    c.expectOp('(');
    const body = c.takeBalanced();
    c.expectOp(')');
    skipOptions(c);
    const columns = splitTopLevel(body)
      .map((el) => columnDefinition(el))
      .filter((x): x is string => x !== null);
    if (columns.length === 0) throw compilationError('a table needs at least one column.');
    return { kind: 'ddl', sql: [...pre, `CREATE TABLE ${ine}${target} (${columns.join(', ')})`], message, exists, temporary: tmp };
  }

  private createStage(c: Cursor, ctx: TranslateContext, ifNotExists: boolean, orReplace: boolean): Plan {
    const stage = this.objectName(c, ctx);
    let url: string | null = null;
    let fileFormat: Record<string, string> = {};
    while (!c.atEnd()) {
      const key = c.next();
      if (key.type !== 'word') throw c.unexpected('a stage property');
      const k = key.value.toUpperCase();
      c.acceptOp('=');
      if (k === 'URL') {
        const v = c.next();
        if (v.type !== 'string') throw compilationError(`URL must be a string literal.`);
        url = v.value;
      } else if (k === 'FILE_FORMAT') fileFormat = keyValues(c);
      else if (c.isOp('(')) keyValues(c); // CREDENTIALS, ENCRYPTION, COPY_OPTIONS, DIRECTORY: accepted, unused
      else c.next(); // STORAGE_INTEGRATION = x, COMMENT = '…'
    }
    if (url !== null && !/^s3:\/\/[^/]+/i.test(url)) throw compilationError(`stage URL '${url}' is not supported (the emulator reads s3://bucket/prefix locations).`);
    return { kind: 'create-stage', stage, url, ifNotExists, orReplace, fileFormat };
  }

  private alter(c: Cursor, ctx: TranslateContext): Plan {
    c.expectWord('ALTER');
    if (c.acceptWords('WAREHOUSE')) {
      c.acceptWords('IF', 'EXISTS');
      if (!c.atEnd() && c.peek().type !== 'word' && c.peek().type !== 'qident') throw c.unexpected('a warehouse name');
      c.rest(); // RESUME [IF SUSPENDED] | SUSPEND | SET …: warehouses do not exist here
      return { kind: 'noop', message: 'Statement executed successfully.', statementType: StatementType.DDL };
    }
    if (c.acceptWords('SESSION')) {
      c.rest();
      return { kind: 'noop', message: 'Statement executed successfully.', statementType: StatementType.SCL };
    }
    c.expectWord('TABLE');
    const ifExists = c.acceptWords('IF', 'EXISTS');
    const table = this.objectName(c, ctx);
    const target = `${q(table.schema)}.${q(table.name)}`;
    const alter = `ALTER TABLE ${ifExists ? 'IF EXISTS ' : ''}${target}`;
    if (c.acceptWords('RENAME', 'TO')) {
      const to = this.objectName(c, ctx);
      this.end(c);
      const sql = [`${alter} RENAME TO ${q(to.name)}`];
      if (to.schema !== table.schema) sql.push(`ALTER TABLE IF EXISTS ${q(table.schema)}.${q(to.name)} SET SCHEMA ${q(to.schema)}`);
      return { kind: 'ddl', sql, message: 'Statement executed successfully.' };
    }
    if (c.acceptWords('RENAME', 'COLUMN')) {
      const from = identValue(c.next());
      c.expectWord('TO');
      const to = identValue(c.next());
      this.end(c);
      return { kind: 'ddl', sql: [`${alter} RENAME COLUMN ${q(from)} TO ${q(to)}`], message: 'Statement executed successfully.' };
    }
    if (c.isWord('ADD')) {
      const actions: string[] = [];
      for (const part of splitTopLevel(c.rest())) {
        const p = new Cursor([...part, { type: 'eof', value: '', pos: 0, raw: '' }], '');
        if (actions.length === 0) p.expectWord('ADD');
        else p.acceptWords('ADD');
        p.acceptWords('COLUMN');
        const ine = p.acceptWords('IF', 'NOT', 'EXISTS');
        const def = columnDefinition(p.rest());
        if (def === null) throw compilationError('ALTER TABLE ADD supports columns only (constraints are not enforced by Snowflake).');
        actions.push(`ADD COLUMN ${ine ? 'IF NOT EXISTS ' : ''}${def}`);
      }
      return { kind: 'ddl', sql: [`${alter} ${actions.join(', ')}`], message: 'Statement executed successfully.' };
    }
    if (c.acceptWords('DROP')) {
      c.acceptWords('COLUMN');
      const ie = c.acceptWords('IF', 'EXISTS');
      const cols = splitTopLevel(c.rest()).map((p) => {
        if (p.length !== 1) throw compilationError('ALTER TABLE DROP COLUMN takes column names.');
        return `DROP COLUMN ${ie ? 'IF EXISTS ' : ''}${q(identValue(p[0]!))}`;
      });
      return { kind: 'ddl', sql: [`${alter} ${cols.join(', ')}`], message: 'Statement executed successfully.' };
    }
    throw compilationError(`ALTER TABLE ${c.peek().raw} is not supported by the Furrow Snowflake emulator.`);
  }

  private drop(c: Cursor, ctx: TranslateContext): Plan {
    c.expectWord('DROP');
    const what = c.next();
    const kind = what.type === 'word' ? what.value.toUpperCase() : '';
    const ifExists = c.acceptWords('IF', 'EXISTS');
    if (kind === 'TABLE') {
      const t = this.objectName(c, ctx);
      const cascade = c.acceptWords('CASCADE');
      c.acceptWords('RESTRICT');
      this.end(c);
      return { kind: 'ddl', sql: [`DROP TABLE ${ifExists ? 'IF EXISTS ' : ''}${q(t.schema)}.${q(t.name)}${cascade ? ' CASCADE' : ''}`], message: `${t.name} successfully dropped.` };
    }
    if (kind === 'SCHEMA') {
      const n = this.objectName(c, ctx);
      const schema = n.name;
      if (!c.acceptWords('CASCADE')) c.acceptWords('RESTRICT');
      this.end(c);
      return { kind: 'ddl', sql: [`DROP SCHEMA ${ifExists ? 'IF EXISTS ' : ''}${q(schema)} CASCADE`], message: `${schema} successfully dropped.` };
    }
    if (kind === 'STAGE') {
      const stage = this.objectName(c, ctx);
      this.end(c);
      return { kind: 'drop-stage', stage, ifExists };
    }
    if (kind === 'DATABASE' || kind === 'WAREHOUSE') {
      const n = identValue(c.next());
      return { kind: 'noop', message: `${n} successfully dropped.`, statementType: StatementType.DDL };
    }
    throw compilationError(`DROP ${kind || what.raw} is not supported by the Furrow Snowflake emulator.`);
  }

  private truncate(c: Cursor, ctx: TranslateContext): Plan {
    c.expectWord('TRUNCATE');
    c.acceptWords('TABLE');
    const ifExists = c.acceptWords('IF', 'EXISTS');
    const t = this.objectName(c, ctx);
    this.end(c);
    const sql = ifExists
      ? `DO $$ BEGIN IF to_regclass(${lit(`${q(t.schema)}.${q(t.name)}`)}) IS NOT NULL THEN TRUNCATE ${q(t.schema)}.${q(t.name)}; END IF; END $$`
      : `TRUNCATE ${q(t.schema)}.${q(t.name)}`;
    return { kind: 'ddl', sql: [sql], message: 'Statement executed successfully.' };
  }

  private describe(c: Cursor, ctx: TranslateContext): Plan {
    c.next();
    if (c.acceptWords('STAGE')) {
      const stage = this.objectName(c, ctx);
      this.end(c);
      return { kind: 'desc-stage', stage };
    }
    if (c.acceptWords('TABLE')) {
      const table = this.objectName(c, ctx);
      this.end(c);
      return { kind: 'desc-table', table };
    }
    throw compilationError(`DESCRIBE ${c.peek().raw} is not supported by the Furrow Snowflake emulator.`);
  }

  private use(c: Cursor, ctx: TranslateContext): Plan {
    c.expectWord('USE');
    const target = (c.isWord('DATABASE', 'SCHEMA', 'WAREHOUSE', 'ROLE') ? c.next().value.toUpperCase() : 'DATABASE') as 'DATABASE' | 'SCHEMA' | 'WAREHOUSE' | 'ROLE';
    if (target === 'SCHEMA') {
      const n = this.objectName(c, ctx);
      this.end(c);
      return { kind: 'use', target, name: n.name };
    }
    const name = identValue(c.next());
    if (target === 'DATABASE' && c.acceptOp('.')) {
      const schema = identValue(c.next());
      this.end(c);
      return { kind: 'use', target: 'SCHEMA', name: schema };
    }
    this.end(c);
    return { kind: 'use', target, name };
  }

  private copy(c: Cursor, ctx: TranslateContext): CopyPlan {
    c.expectWord('COPY');
    c.expectWord('INTO');
    if (c.peek().type === 'string' || c.peek().type === 'stage') throw compilationError('COPY INTO <location> (unloading) is not supported by the Furrow Snowflake emulator.');
    const table = this.objectName(c, ctx);
    let columns: string[] | null = null;
    if (c.acceptOp('(')) {
      columns = splitTopLevel(c.takeBalanced()).map((p) => {
        if (p.length !== 1) throw compilationError('COPY INTO column list takes column names.');
        return identValue(p[0]!);
      });
      c.expectOp(')');
    }
    c.expectWord('FROM');
    let source: CopyPlan['source'];
    let projections: Projection[] | null = null;
    if (c.acceptOp('(')) {
      const inner = new Cursor([...c.takeBalanced(), { type: 'eof', value: '', pos: 0, raw: '' }], '');
      c.expectOp(')');
      inner.expectWord('SELECT');
      const fromAt = inner.tokens.findIndex((t, k) => k >= inner.i && isWord(t, 'FROM') && depthAt(inner.tokens, k) === 0);
      if (fromAt < 0) throw compilationError('COPY INTO … FROM (SELECT … FROM @stage) needs a FROM.');
      const items = inner.tokens.slice(inner.i, fromAt);
      inner.i = fromAt + 1;
      const src = inner.next();
      source = stageSource(src, ctx);
      let alias: string | null = null;
      if (inner.isOp('(')) {
        inner.next();
        inner.takeBalanced(); // (FILE_FORMAT => …, PATTERN => …)
        inner.expectOp(')');
      }
      inner.acceptWords('AS');
      if (inner.peek().type === 'word' || inner.peek().type === 'qident') alias = identValue(inner.next());
      if (!inner.atEnd()) throw inner.unexpected();
      projections = splitTopLevel(items).map((p) => projection(p, alias));
      if (columns && columns.length !== projections.length)
        throw new SnowflakeError('002020', '21S01', `SQL compilation error:\nInsert value list does not match column list expecting ${columns.length} but got ${projections.length}`, 'COMPILATION');
    } else source = stageSource(c.next(), ctx);

    const plan: CopyPlan = {
      kind: 'copy',
      table,
      columns,
      source,
      projections,
      fileFormat: { type: 'CSV', compression: 'AUTO', stripOuterArray: false },
      onError: 'ABORT_STATEMENT',
      force: false,
      pattern: null,
      files: null,
      matchByColumnName: 'NONE',
    };
    while (!c.atEnd()) {
      const key = c.next();
      if (key.type !== 'word') throw c.unexpected('a COPY option');
      const k = key.value.toUpperCase();
      c.expectOp('=');
      if (k === 'FILE_FORMAT') {
        const ff = keyValues(c);
        if (ff.FORMAT_NAME) throw compilationError('named file formats are not supported by the Furrow Snowflake emulator.');
        plan.fileFormat = {
          type: (ff.TYPE ?? 'CSV').toUpperCase(),
          compression: (ff.COMPRESSION ?? 'AUTO').toUpperCase(),
          stripOuterArray: (ff.STRIP_OUTER_ARRAY ?? '').toUpperCase() === 'TRUE',
        };
      } else if (k === 'ON_ERROR') {
        const v = c.next().value.toUpperCase();
        if (v === 'ABORT_STATEMENT' || v === 'CONTINUE' || v === 'SKIP_FILE') plan.onError = v;
        else throw compilationError(`ON_ERROR = ${v} is not supported (ABORT_STATEMENT, CONTINUE, SKIP_FILE).`);
      } else if (k === 'FORCE') plan.force = c.next().value.toUpperCase() === 'TRUE';
      else if (k === 'PATTERN') {
        const v = c.next();
        if (v.type !== 'string') throw compilationError('PATTERN must be a string.');
        try {
          plan.pattern = new RegExp(`^(?:${v.value})$`);
        } catch {
          throw compilationError(`invalid PATTERN '${v.value}'.`);
        }
      } else if (k === 'FILES') {
        c.expectOp('(');
        plan.files = splitTopLevel(c.takeBalanced()).map((p) => {
          if (p.length !== 1 || p[0]!.type !== 'string') throw compilationError('FILES takes string literals.');
          return p[0]!.value;
        });
        c.expectOp(')');
      } else if (k === 'MATCH_BY_COLUMN_NAME') {
        const v = c.next().value.toUpperCase();
        if (v !== 'NONE' && v !== 'CASE_SENSITIVE' && v !== 'CASE_INSENSITIVE') throw compilationError(`MATCH_BY_COLUMN_NAME = ${v} is not valid.`);
        plan.matchByColumnName = v;
      } else if (k === 'VALIDATION_MODE') throw compilationError('VALIDATION_MODE is not supported by the Furrow Snowflake emulator.');
      else if (c.isOp('(')) keyValues(c); // CREDENTIALS, ENCRYPTION: the emulator reads its own S3
      else c.next(); // PURGE, RETURN_FAILED_ONLY, TRUNCATECOLUMNS, ENFORCE_LENGTH, SIZE_LIMIT, LOAD_UNCERTAIN_FILES
    }
    if (plan.fileFormat.type !== 'JSON')
      throw compilationError(`FILE_FORMAT TYPE = ${plan.fileFormat.type} is not supported by the Furrow Snowflake emulator (JSON only).`);
    if (projections && plan.matchByColumnName !== 'NONE') throw compilationError('MATCH_BY_COLUMN_NAME cannot be combined with a SELECT transformation.');
    return plan;
  }
}

/** Paren depth of `tokens[k]` (0 = top level). */
function depthAt(tokens: Token[], k: number): number {
  let d = 0;
  for (let i = 0; i < k; i++) {
    const t = tokens[i]!;
    if (t.type === 'op' && (t.value === '(' || t.value === '[')) d++;
    if (t.type === 'op' && (t.value === ')' || t.value === ']')) d--;
  }
  return d;
}

/** Skip trailing table / schema options we do not model (CLUSTER BY, COMMENT = '…', DATA_RETENTION…). */
function skipOptions(c: Cursor): void {
  while (!c.atEnd()) {
    const t = c.next();
    if (t.type === 'op' && t.value === '(') {
      c.takeBalanced();
      c.expectOp(')');
    }
  }
}

/** `( KEY = value KEY2 = 'v' … )` → upper-cased keys, raw values. */
function keyValues(c: Cursor): Record<string, string> {
  c.expectOp('(');
  const out: Record<string, string> = {};
  while (!c.isOp(')')) {
    const k = c.next();
    if (k.type !== 'word') throw c.unexpected('an option name');
    c.expectOp('=');
    const v = c.next();
    if (v.type === 'op' && v.value === '(') {
      const inner = c.takeBalanced();
      c.expectOp(')');
      out[k.value.toUpperCase()] = inner.map((t) => t.value).join(',');
    } else out[k.value.toUpperCase()] = v.value;
    c.acceptOp(',');
  }
  c.expectOp(')');
  return out;
}

/**
 * One element of a CREATE TABLE / ADD COLUMN list → Postgres column SQL, or null for a table constraint
 * (PRIMARY KEY / UNIQUE / FOREIGN KEY are informational in Snowflake and are not enforced, so they are dropped).
 */
function columnDefinition(tokens: Token[]): string | null {
  const c = new Cursor([...tokens, { type: 'eof', value: '', pos: tokens.at(-1)?.pos ?? 0, raw: '' }], '');
  if (c.isWord('CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN')) return null;
  const nameTok = c.next();
  if (nameTok.type === 'word' && KEYWORDS.has(nameTok.value.toUpperCase()) && nameTok.value.toUpperCase() !== 'FIRST' && nameTok.value.toUpperCase() !== 'LAST')
    throw compilationError(`syntax error line 1 at position ${nameTok.pos} unexpected '${nameTok.raw}' (reserved word as column name; quote it).`);
  const name = identValue(nameTok);
  const ty = parseTypeAt(c);
  const parts = [q(name), mapType(ty.name, ty.args).column];
  while (!c.atEnd()) {
    if (c.acceptWords('NOT', 'NULL')) parts.push('NOT NULL');
    else if (c.acceptWords('NULL')) continue;
    else if (c.acceptWords('UNIQUE') || c.acceptWords('PRIMARY', 'KEY')) continue; // not enforced by Snowflake
    else if (c.acceptWords('CONSTRAINT')) c.next();
    else if (c.acceptWords('COMMENT') || c.acceptWords('COLLATE')) {
      c.acceptOp('=');
      c.next();
    } else if (c.acceptWords('REFERENCES')) {
      c.next();
      while (c.isOp('.')) {
        c.next();
        c.next();
      }
      if (c.acceptOp('(')) {
        c.takeBalanced();
        c.expectOp(')');
      }
    } else if (c.acceptWords('DEFAULT')) {
      const expr: Token[] = [];
      while (!c.atEnd() && !c.isWord('NOT', 'NULL', 'UNIQUE', 'PRIMARY', 'CONSTRAINT', 'COMMENT', 'COLLATE', 'REFERENCES')) expr.push(c.next());
      parts.push(`DEFAULT ${translateTokens(expr, { binds: new BindMapper() })}`);
    } else if (c.isWord('AUTOINCREMENT', 'IDENTITY')) {
      throw compilationError('AUTOINCREMENT / IDENTITY columns are not supported by the Furrow Snowflake emulator.');
    } else throw c.unexpected();
  }
  return parts.join(' ');
}

/** The FROM of a COPY: `@stage/path`, `'@stage/path'` or `'s3://bucket/prefix'`. */
function stageSource(t: Token, ctx: TranslateContext): CopyPlan['source'] {
  let ref: string;
  if (t.type === 'stage') ref = t.value;
  else if (t.type === 'string' && t.value.startsWith('@')) ref = t.value.slice(1);
  else if (t.type === 'string' && /^s3:\/\/[^/]+/i.test(t.value)) return { url: t.value };
  else throw compilationError(`syntax error line 1 at position ${t.pos} unexpected '${t.raw}' (expected @stage/path or 's3://…').`);
  if (ref.startsWith('~') || ref.startsWith('%')) throw compilationError(`user and table stages (@${ref}) are not supported by the Furrow Snowflake emulator.`);
  const slash = ref.search(/\/(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const namePart = slash < 0 ? ref : ref.slice(0, slash);
  const path = slash < 0 ? '' : ref.slice(slash + 1);
  const tokens = tokenize(namePart);
  const parts: string[] = [];
  for (let i = 0; i < tokens.length - 1; i++) {
    const x = tokens[i]!;
    if (x.type === 'op' && x.value === '.') continue;
    parts.push(identValue(x));
  }
  if (parts.length === 0 || parts.length > 3) throw compilationError(`invalid stage name '@${namePart}'.`);
  const stage = parts.length === 1 ? { schema: ctx.schema, name: parts[0]! } : { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! };
  return { stage, path };
}

/** One item of a COPY transformation SELECT. */
function projection(tokens: Token[], alias: string | null): Projection {
  let ts = tokens;
  // optional `AS name` / trailing alias on the item: ignored (columns map by position)
  if (ts.length >= 2 && isWord(ts[ts.length - 2], 'AS')) ts = ts.slice(0, -2);
  if (alias && ts.length >= 3 && (ts[0]!.type === 'word' || ts[0]!.type === 'qident') && identValue(ts[0]!) === alias && ts[1]!.type === 'op' && ts[1]!.value === '.')
    ts = ts.slice(2);
  const first = ts[0];
  if (!first) throw compilationError('empty item in COPY transformation.');
  if (first.type === 'word' && /^METADATA\$(FILENAME|FILE_ROW_NUMBER)$/i.test(first.value) && ts.length === 1)
    return { kind: 'metadata', name: first.value.toUpperCase().slice('METADATA$'.length) as 'FILENAME' | 'FILE_ROW_NUMBER' };
  if (first.type === 'column') {
    const column = Number(first.value);
    const c = new Cursor([...ts.slice(1), { type: 'eof', value: '', pos: 0, raw: '' }], '');
    const path: (string | number)[] = [];
    let firstStep = true;
    for (;;) {
      if ((firstStep && c.isOp(':')) || (!firstStep && c.isOp('.'))) {
        c.next();
        const k = c.next();
        if (k.type !== 'word' && k.type !== 'qident') throw compilationError(`syntax error line 1 at position ${k.pos} unexpected '${k.raw}' in a path.`);
        path.push(k.value);
      } else if (c.isOp('[')) {
        c.next();
        const k = c.next();
        if (k.type === 'number' && /^\d+$/.test(k.value)) path.push(Number(k.value));
        else if (k.type === 'string') path.push(k.value);
        else throw compilationError(`syntax error line 1 at position ${k.pos} unexpected '${k.raw}' in a path index.`);
        c.expectOp(']');
      } else break;
      firstStep = false;
    }
    if (c.acceptOp('::')) parseTypeAt(c); // conversion happens on insert into the typed column
    if (!c.atEnd()) throw compilationError(`expressions over $${column} are not supported in COPY transformations (use $${column}:path[::type]).`);
    return { kind: 'path', column, path };
  }
  return { kind: 'sql', sql: translateTokens(ts, { binds: new BindMapper() }) };
}

/**
 * Result column names Snowflake would report for a SELECT: plain column references and aliases keep
 * their (upper-cased) names, other expressions are named by their text upper-cased (`COUNT(*)`, `1`).
 * Returns null entries where Postgres already names the column the same way.
 */
function selectColumnNames(tokens: Token[]): (string | null)[] | undefined {
  if (!isWord(tokens[0], 'SELECT')) return undefined;
  let k = 1;
  if (isWord(tokens[k], 'DISTINCT') || isWord(tokens[k], 'ALL')) k++;
  let endAt = tokens.length;
  for (let i = k; i < tokens.length; i++)
    if (depthAt(tokens, i) === 0 && isWord(tokens[i], 'FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'MINUS', 'INTERSECT', 'HAVING')) {
      endAt = i;
      break;
    }
  const items = splitTopLevel(tokens.slice(k, endAt));
  return items.map((item) => {
    if (item.length === 0) return null;
    const last = item[item.length - 1]!;
    const prev = item[item.length - 2];
    if (item.length >= 2 && (last.type === 'word' || last.type === 'qident') && (isWord(prev, 'AS') || isAliasable(prev))) return null;
    const isRef = item.every((t, i) => (i % 2 === 0 ? t.type === 'word' || t.type === 'qident' || (t.type === 'op' && t.value === '*') : t.type === 'op' && t.value === '.'));
    if (isRef) return null;
    // the expression's text, words upper-cased, single spaces where the source had whitespace
    return item.map((t, i) => (i > 0 && t.pos > item[i - 1]!.pos + item[i - 1]!.raw.length ? ' ' : '') + (t.type === 'word' ? t.value.toUpperCase() : t.raw)).join('');
  });
}

function isAliasable(prev: Token | undefined): boolean {
  if (!prev) return false;
  if (prev.type === 'word') return !KEYWORDS.has(prev.value.toUpperCase());
  if (prev.type === 'op') return prev.value === ')';
  return prev.type === 'qident' || prev.type === 'number' || prev.type === 'string' || prev.type === 'column';
}
