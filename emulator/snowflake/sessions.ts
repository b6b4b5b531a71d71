/**
 * Snowflake sessions: created by login-request, addressed by the session token the driver sends as
 * `Authorization: Snowflake Token="…"`, deleted by `POST /session?delete=true`. A session runs its
 * statements one at a time and, inside BEGIN … COMMIT, owns a Postgres connection (on PGlite: the lock).
 */
import { randomBytes } from 'node:crypto';
import type { PgConnection } from './backend';
import type { ObjectName } from './translator';

export interface QueryRecord {
  status: 'RUNNING' | 'SUCCESS' | 'FAILED_WITH_ERROR';
  response?: unknown;
}

export class Session {
  readonly token = randomBytes(24).toString('base64url');
  readonly masterToken = randomBytes(24).toString('base64url');
  /** Open transaction's connection (BEGIN … COMMIT/ROLLBACK), null in autocommit. */
  tx: PgConnection | null = null;
  txTimer: NodeJS.Timeout | null = null;
  /** Temporary tables to drop when the session ends. */
  readonly temporaryTables: ObjectName[] = [];
  /** Recent queries by id, for /monitoring/queries and /queries/{id}/result. */
  readonly queries = new Map<string, QueryRecord>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: number,
    readonly user: string,
    public database: string,
    public schema: string,
    public warehouse: string,
    public role: string,
  ) {}

  /** Run `fn` after every statement queued before it (statements of one session never overlap). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  remember(queryId: string, record: QueryRecord): void {
    this.queries.set(queryId, record);
    if (this.queries.size > 100) this.queries.delete(this.queries.keys().next().value!);
  }
}

export class SessionStore {
  private nextId = 1;
  private readonly byToken = new Map<string, Session>();

  create(user: string, database: string, schema: string, warehouse: string, role: string): Session {
    const s = new Session(this.nextId++, user, database, schema, warehouse, role);
    this.byToken.set(s.token, s);
    return s;
  }

  get(token: string | null): Session | undefined {
    return token ? this.byToken.get(token) : undefined;
  }

  byMasterToken(token: string | null): Session | undefined {
    if (!token) return undefined;
    for (const s of this.byToken.values()) if (s.masterToken === token) return s;
    return undefined;
  }

  delete(s: Session): void {
    this.byToken.delete(s.token);
  }

  all(): Session[] {
    return [...this.byToken.values()];
  }
}
