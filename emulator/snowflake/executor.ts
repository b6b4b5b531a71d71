/**
 * `StatementExecutor`: runs one translated statement for a session with Snowflake's transaction rules:
 *  - autocommit outside BEGIN … COMMIT (multi-step statements such as COPY are still atomic);
 *  - inside a transaction a failing statement rolls back only itself (a savepoint per statement), the
 *    transaction stays usable, as in Snowflake (Postgres would abort the whole transaction);
 *  - a DDL statement commits the open transaction first and then runs in its own (Snowflake DDL autocommits);
 *  - an abandoned open transaction is rolled back after `transactionIdleTimeoutMs`.
 */
import type { PgBackend, PgConnection } from './backend';
import type { CopyIntoExecutor } from './copy-into';
import { doesNotExist, fromPostgresError, SnowflakeError } from './errors';
import { q } from './expressions';
import { fixedColumn, statusResult, textColumn, toSnowflakeResult, type SnowflakeResult } from './results';
import type { Session } from './sessions';
import { createStage, describeStage, dropStage } from './stages';
import { SqlTranslator, StatementType, type Plan } from './translator';

export interface Binding {
  type?: string;
  value?: unknown;
}

export interface Executed {
  result: SnowflakeResult;
  statementType: number;
}

const OK = 'Statement executed successfully.';

/** One Snowflake bind value → Postgres text parameter. */
export function bindValue(b: Binding | undefined, position: number): string | null {
  if (!b) throw new SnowflakeError('002049', '42601', `SQL compilation error: error line 1 at position 0\nBind variable :${position} not set.`, 'COMPILATION');
  const v = b.value;
  if (v === null || v === undefined) return null;
  const type = (b.type ?? 'TEXT').toUpperCase();
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^-?\d+$/.test(s)) {
    // JDBC-style epoch binds: timestamps in nanoseconds, dates in milliseconds
    if (type.startsWith('TIMESTAMP')) return new Date(Number(BigInt(s) / 1_000_000n)).toISOString();
    if (type === 'DATE') return new Date(Number(s)).toISOString().slice(0, 10);
  }
  return s;
}

export class StatementExecutor {
  private readonly translator = new SqlTranslator();

  constructor(
    private readonly backend: PgBackend,
    private readonly copy: CopyIntoExecutor,
    private readonly transactionIdleTimeoutMs: number,
  ) {}

  async execute(s: Session, sqlText: string, bindings: Record<string, Binding> = {}): Promise<Executed> {
    // A running statement is not idleness: no idle rollback may fire while it runs.
    if (s.txTimer) clearTimeout(s.txTimer);
    s.txTimer = null;
    const plan = this.translator.translate(sqlText, { schema: s.schema });
    try {
      return await this.run(s, plan, bindings);
    } catch (err) {
      throw fromPostgresError(err);
    } finally {
      this.touch(s);
    }
  }

  private async run(s: Session, plan: Plan, bindings: Record<string, Binding>): Promise<Executed> {
    switch (plan.kind) {
      case 'begin':
        if (!s.tx) {
          const conn = await this.backend.acquire();
          try {
            await this.searchPath(conn, s);
            await conn.query('BEGIN');
          } catch (err) {
            conn.release();
            throw err;
          }
          s.tx = conn;
        }
        return { result: statusResult(OK), statementType: StatementType.TCL };
      case 'commit':
      case 'rollback':
        await this.endTransaction(s, plan.kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
        return { result: statusResult(OK), statementType: StatementType.TCL };
      case 'noop':
        return { result: statusResult(plan.message), statementType: plan.statementType };
      case 'use':
        return this.use(s, plan);
      case 'ddl':
        return this.ddl(s, plan, bindings);
      case 'create-stage':
      case 'drop-stage':
        await this.endTransaction(s, 'COMMIT');
        return { result: await this.autocommit(s, (c) => (plan.kind === 'create-stage' ? createStage(c, plan) : dropStage(c, plan)), true), statementType: StatementType.DDL };
      case 'desc-stage':
        return { result: await this.statement(s, (c) => describeStage(c, plan.stage), false), statementType: StatementType.DESCRIBE };
      case 'desc-table':
        return { result: await this.statement(s, (c) => this.describeTable(c, plan.table), false), statementType: StatementType.DESCRIBE };
      case 'copy':
        return { result: await this.statement(s, (c) => this.copy.run(c, plan), true), statementType: StatementType.COPY };
      case 'query':
        return this.query(s, plan, bindings);
    }
  }

  private async query(s: Session, plan: Extract<Plan, { kind: 'query' }>, bindings: Record<string, Binding>): Promise<Executed> {
    // Array binding (executemany): one execution per row, atomically.
    const arrays = plan.binds.map((p) => bindings[String(p)]?.value).filter((v) => Array.isArray(v)) as unknown[][];
    const rowsOfParams: (string | null)[][] = [];
    if (arrays.length > 0) {
      const n = arrays[0]!.length;
      for (let r = 0; r < n; r++)
        rowsOfParams.push(plan.binds.map((p) => bindValue({ type: bindings[String(p)]?.type, value: (bindings[String(p)]?.value as unknown[] | undefined)?.[r] }, p)));
    } else rowsOfParams.push(plan.binds.map((p) => bindValue(bindings[String(p)], p)));

    const raw = await this.statement(
      s,
      async (c) => {
        let last = null as Awaited<ReturnType<PgConnection['query']>> | null;
        let affected = 0;
        for (const params of rowsOfParams) {
          last = await c.query(plan.sql, params);
          affected += last.rowCount ?? 0;
        }
        return { last: last!, affected };
      },
      rowsOfParams.length > 1,
    );
    const n = String(raw.affected);
    switch (plan.result) {
      case 'rows':
        return { result: toSnowflakeResult(raw.last, plan.columnNames), statementType: plan.statementType };
      case 'insert':
        return { result: { rowtype: [fixedColumn('number of rows inserted')], rowset: [[n]] }, statementType: plan.statementType };
      case 'update':
        return {
          result: { rowtype: [fixedColumn('number of rows updated'), fixedColumn('number of multi-joined rows updated')], rowset: [[n, '0']] },
          statementType: plan.statementType,
        };
      case 'delete':
        return { result: { rowtype: [fixedColumn('number of rows deleted')], rowset: [[n]] }, statementType: plan.statementType };
    }
  }

  private async ddl(s: Session, plan: Extract<Plan, { kind: 'ddl' }>, bindings: Record<string, Binding>): Promise<Executed> {
    await this.endTransaction(s, 'COMMIT'); // DDL commits the open transaction
    const params = (plan.binds ?? []).map((p) => bindValue(bindings[String(p)], p));
    const message = await this.autocommit(
      s,
      async (c) => {
        if (plan.exists) {
          const o = plan.exists.object;
          const found =
            plan.exists.kind === 'schema'
              ? await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [o.schema])
              : await c.query('SELECT to_regclass($1)::text', [`${q(o.schema)}.${q(o.name)}`]);
          if (found.rows.length > 0 && found.rows[0]![0] !== null) return plan.exists.ifExistsMessage;
        }
        for (const sql of plan.sql) await c.query(sql, plan.binds?.length ? params : []);
        return plan.message;
      },
      true,
    );
    if (plan.temporary) s.temporaryTables.push(plan.temporary);
    return { result: statusResult(message), statementType: StatementType.DDL };
  }

  private async use(s: Session, plan: Extract<Plan, { kind: 'use' }>): Promise<Executed> {
    if (plan.target === 'SCHEMA') {
      const found = await this.statement(s, (c) => c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [plan.name]), false);
      if (found.rows.length === 0) throw doesNotExist('Schema', plan.name);
      s.schema = plan.name;
      if (s.tx) await this.searchPath(s.tx, s);
    } else if (plan.target === 'DATABASE') s.database = plan.name;
    else if (plan.target === 'WAREHOUSE') s.warehouse = plan.name;
    else s.role = plan.name;
    return { result: statusResult(OK), statementType: StatementType.USE };
  }

  private async describeTable(c: PgConnection, table: { schema: string; name: string }): Promise<SnowflakeResult> {
    const r = await c.query(
      `SELECT a.attname::text,
              CASE WHEN tn.nspname = 'furrow_sf' THEN upper(t.typname::text)
                   WHEN t.typname = 'numeric' THEN 'NUMBER(' || ((a.atttypmod - 4) >> 16) || ',' || ((a.atttypmod - 4) & 65535) || ')'
                   WHEN t.typname = 'varchar' THEN 'VARCHAR(' || coalesce(nullif(a.atttypmod - 4, -5), 16777216) || ')'
                   WHEN t.typname = 'text' THEN 'VARCHAR(16777216)'
                   WHEN t.typname = 'float8' THEN 'FLOAT' WHEN t.typname = 'bool' THEN 'BOOLEAN'
                   WHEN t.typname = 'timestamp' THEN 'TIMESTAMP_NTZ(9)' WHEN t.typname = 'timestamptz' THEN 'TIMESTAMP_LTZ(9)'
                   ELSE upper(format_type(a.atttypid, a.atttypmod)) END,
              CASE WHEN a.attnotnull THEN 'N' ELSE 'Y' END
         FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
        WHERE n.nspname = $1 AND cl.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table.schema, table.name],
    );
    if (r.rows.length === 0) throw doesNotExist('Table', `${table.schema}.${table.name}`);
    const cols = ['name', 'type', 'kind', 'null?', 'default', 'primary key', 'unique key', 'check', 'expression', 'comment', 'policy name'];
    return { rowtype: cols.map(textColumn), rowset: r.rows.map((row) => [row[0]!, row[1]!, 'COLUMN', row[2]!, null, 'N', 'N', null, null, null, null]) };
  }

  /**
   * Run one statement: inside the session's transaction under a savepoint, or on a fresh connection in
   * autocommit (wrapped in BEGIN/COMMIT when `atomic`, so a multi-step statement is all or nothing).
   */
  private async statement<T>(s: Session, fn: (c: PgConnection) => Promise<T>, atomic: boolean): Promise<T> {
    if (s.tx) {
      const tx = s.tx;
      await tx.query('SAVEPOINT furrow_stmt');
      try {
        const r = await fn(tx);
        await tx.query('RELEASE SAVEPOINT furrow_stmt');
        return r;
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT furrow_stmt').catch(() => {});
        await tx.query('RELEASE SAVEPOINT furrow_stmt').catch(() => {});
        throw err;
      }
    }
    return this.autocommit(s, fn, atomic);
  }

  private async autocommit<T>(s: Session, fn: (c: PgConnection) => Promise<T>, atomic: boolean): Promise<T> {
    const conn = await this.backend.acquire();
    try {
      await this.searchPath(conn, s);
      if (!atomic) return await fn(conn);
      await conn.query('BEGIN');
      try {
        const r = await fn(conn);
        await conn.query('COMMIT');
        return r;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } finally {
      conn.release();
    }
  }

  private async searchPath(conn: PgConnection, s: Session): Promise<void> {
    const path = q(s.schema);
    if (conn.searchPath === path) return;
    await conn.query(`SET search_path TO ${path}`);
    conn.searchPath = path;
  }

  async endTransaction(s: Session, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const tx = s.tx;
    if (!tx) return;
    s.tx = null;
    if (s.txTimer) clearTimeout(s.txTimer);
    s.txTimer = null;
    try {
      await tx.query(how);
    } finally {
      tx.release();
    }
  }

  /** Reset the idle timer of an open transaction. */
  private touch(s: Session): void {
    if (s.txTimer) clearTimeout(s.txTimer);
    s.txTimer = null;
    if (!s.tx) return;
    const timer = setTimeout(() => {
      // Queued behind any statement already waiting: roll back only if none ran since (its touch re-armed).
      void s.serial(async () => {
        if (s.txTimer === timer) await this.endTransaction(s, 'ROLLBACK').catch(() => {});
      });
    }, this.transactionIdleTimeoutMs);
    timer.unref();
    s.txTimer = timer;
  }

  /** End a session: roll back its transaction, drop its temporary tables. */
  async closeSession(s: Session): Promise<void> {
    await this.endTransaction(s, 'ROLLBACK').catch(() => {});
    if (s.temporaryTables.length === 0) return;
    await this.autocommit(
      s,
      async (c) => {
        for (const t of s.temporaryTables) await c.query(`DROP TABLE IF EXISTS ${q(t.schema)}.${q(t.name)}`);
      },
      true,
    ).catch(() => {});
  }
}
