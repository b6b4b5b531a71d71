/**
 * Iglu Server storage on Postgres (the embedded PGlite or a real server), tables as Iglu Server 0.14.0's
 * Bootstrap creates them (spec-loaders-iglu-infra 4.3) inside a configurable schema. Every statement
 * names the schema explicitly: on the embedded server all connections share one session, so
 * search_path cannot be relied on.
 *
 * Deliberate deviation: `iglu_permissions.apikey` holds a digest of the key (the first 128 bits of its
 * SHA-256, formatted as a UUID), never the key itself, so a leaked table does not leak credentials.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { formatSchemaVer, type SchemaKey, type SchemaVer } from '../../core/schema-key';
import type { KeyAction, Permission, SchemaAction, VendorScope } from './permission';

export interface StoredSchema {
  key: SchemaKey;
  createdAt: Date;
  updatedAt: Date;
  isPublic: boolean;
  body: Record<string, unknown>;
  supersededBy: string | null;
  supersedes: string[] | null;
}

export interface StoredDraft {
  vendor: string;
  name: string;
  format: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  isPublic: boolean;
  body: Record<string, unknown>;
}

export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** Digest stored in place of an API key (UUID-shaped so the spec's `apikey UUID` column holds it). */
export function apiKeyDigest(key: string): string {
  const h = createHash('sha256').update(key.toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const SCHEMA_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

const SCHEMA_COLUMNS = `vendor, name, format, model, revision, addition,
  created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
  is_public, body, superseded_by, supersedes`;

type Row = Record<string, any>;

function toSchema(r: Row): StoredSchema {
  return {
    key: { vendor: r.vendor, name: r.name, format: r.format, version: { model: r.model, revision: r.revision, addition: r.addition } },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    isPublic: r.is_public,
    body: r.body,
    supersededBy: r.superseded_by,
    supersedes: r.supersedes,
  };
}

function toDraft(r: Row): StoredDraft {
  return { vendor: r.vendor, name: r.name, format: r.format, version: r.version, createdAt: r.created_at, updatedAt: r.updated_at, isPublic: r.is_public, body: r.body };
}

/** Parse a Postgres array literal of our enum (`{CREATE,DELETE}`) that pg hands back as text. */
function enumArray(v: unknown): string[] {
  if (Array.isArray(v)) return v as string[];
  if (typeof v !== 'string') return [];
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}

export interface SchemaFilter {
  vendor?: string;
  name?: string;
  model?: number;
}

export class PostgresStorage {
  private readonly s: string;

  constructor(
    readonly pool: pg.Pool,
    readonly schema = 'public',
  ) {
    if (!SCHEMA_NAME.test(schema)) throw new StorageError(`invalid database schema name '${schema}'`);
    this.s = `"${schema}"`;
  }

  /** Create the schema, types and tables if missing (`iglu-server setup`). Idempotent. */
  async setup(): Promise<void> {
    const s = this.s;
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    const types = await this.pool.query<{ typname: string }>(
      `SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname IN ('key_action','schema_action')`,
      [this.schema],
    );
    const have = new Set(types.rows.map((r) => r.typname));
    if (!have.has('key_action')) await this.pool.query(`CREATE TYPE ${s}.key_action AS ENUM ('CREATE','DELETE')`);
    if (!have.has('schema_action')) await this.pool.query(`CREATE TYPE ${s}.schema_action AS ENUM ('READ','BUMP','CREATE','CREATE_VENDOR')`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${s}.iglu_permissions (
      apikey UUID NOT NULL PRIMARY KEY, vendor VARCHAR(128), wildcard BOOL NOT NULL,
      schema_action ${s}.schema_action, key_action ${s}.key_action[] NOT NULL)`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${s}.iglu_schemas (
      vendor VARCHAR(128) NOT NULL, name VARCHAR(128) NOT NULL, format VARCHAR(128) NOT NULL,
      model INTEGER NOT NULL, revision INTEGER NOT NULL, addition INTEGER NOT NULL,
      created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, is_public BOOLEAN NOT NULL, body JSON NOT NULL,
      superseded_by VARCHAR(32) NULL, supersedes VARCHAR(32) ARRAY NULL)`);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${s}.iglu_drafts (
      vendor VARCHAR(128) NOT NULL, name VARCHAR(128) NOT NULL, format VARCHAR(128) NOT NULL, version INTEGER NOT NULL,
      created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, is_public BOOLEAN NOT NULL, body JSON NOT NULL)`);
  }

  async isSetUp(): Promise<boolean> {
    const r = await this.pool.query(`SELECT to_regclass($1) AS t`, [`${this.s}.iglu_schemas`]);
    return r.rows[0]?.t !== null;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async getSchema(key: SchemaKey, q: pg.Pool | pg.PoolClient = this.pool): Promise<StoredSchema | undefined> {
    const r = await q.query(
      `SELECT ${SCHEMA_COLUMNS} FROM ${this.s}.iglu_schemas WHERE vendor = $1 AND name = $2 AND format = $3 AND model = $4 AND revision = $5 AND addition = $6 LIMIT 1`,
      [key.vendor, key.name, key.format, key.version.model, key.version.revision, key.version.addition],
    );
    return r.rows[0] ? toSchema(r.rows[0]) : undefined;
  }

  /** Schemas matching the filter, in publication order (`created_at`, as Iglu Server lists them). */
  async listSchemas(filter: SchemaFilter = {}, q: pg.Pool | pg.PoolClient = this.pool): Promise<StoredSchema[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.vendor !== undefined) where.push(`vendor = $${params.push(filter.vendor)}`);
    if (filter.name !== undefined) where.push(`name = $${params.push(filter.name)}`);
    if (filter.model !== undefined) where.push(`model = $${params.push(filter.model)}`);
    const r = await q.query(`SELECT ${SCHEMA_COLUMNS} FROM ${this.s}.iglu_schemas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, ctid`, params);
    return r.rows.map(toSchema);
  }

  async countSchemas(): Promise<number> {
    const r = await this.pool.query(`SELECT count(*)::int AS n FROM ${this.s}.iglu_schemas`);
    return r.rows[0].n;
  }

  /**
   * Run `fn` in a transaction holding a lock on vendor/name, so two publishes of the same group cannot
   * both pass the sequencing check (the table has no unique constraint, as in Iglu Server).
   */
  async withGroupLock<T>(vendor: string, name: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`iglu:${this.schema}:${vendor}/${name}`]);
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async insertSchema(q: pg.PoolClient, key: SchemaKey, body: object, isPublic: boolean, supersedes: string[] | null): Promise<void> {
    await q.query(
      `INSERT INTO ${this.s}.iglu_schemas (vendor, name, format, model, revision, addition, created_at, updated_at, is_public, body, superseded_by, supersedes)
       VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp() AT TIME ZONE 'UTC', clock_timestamp() AT TIME ZONE 'UTC', $7, $8, NULL, $9)`,
      [key.vendor, key.name, key.format, key.version.model, key.version.revision, key.version.addition, isPublic, JSON.stringify(body), supersedes],
    );
  }

  /** Patch in place (only with patchesAllowed), as Iglu Server does: both timestamps move. */
  async updateSchema(q: pg.PoolClient, key: SchemaKey, body: object, isPublic: boolean, supersedes: string[] | null): Promise<void> {
    await q.query(
      `UPDATE ${this.s}.iglu_schemas SET created_at = clock_timestamp() AT TIME ZONE 'UTC', updated_at = clock_timestamp() AT TIME ZONE 'UTC',
         is_public = $7, body = $8, supersedes = $9
       WHERE vendor = $1 AND name = $2 AND format = $3 AND model = $4 AND revision = $5 AND addition = $6`,
      [key.vendor, key.name, key.format, key.version.model, key.version.revision, key.version.addition, isPublic, JSON.stringify(body), supersedes],
    );
  }

  /** Mark `versions` of vendor/name/format as superseded by `by`, unless already superseded by a later one. */
  async markSuperseded(q: pg.PoolClient, key: SchemaKey, versions: SchemaVer[], by: SchemaVer): Promise<void> {
    const byText = formatSchemaVer(by);
    for (const v of versions)
      await q.query(
        `UPDATE ${this.s}.iglu_schemas SET superseded_by = $7
         WHERE vendor = $1 AND name = $2 AND format = $3 AND model = $4 AND revision = $5 AND addition = $6
           AND (superseded_by IS NULL OR STRING_TO_ARRAY(superseded_by, '-')::int[] < STRING_TO_ARRAY($7, '-')::int[])`,
        [key.vendor, key.name, key.format, v.model, v.revision, v.addition, byText],
      );
  }

  async deleteSchema(key: SchemaKey): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM ${this.s}.iglu_schemas WHERE vendor = $1 AND name = $2 AND format = $3 AND model = $4 AND revision = $5 AND addition = $6`,
      [key.vendor, key.name, key.format, key.version.model, key.version.revision, key.version.addition],
    );
    return r.rowCount ?? 0;
  }

  // --- API keys ---

  async getPermission(apiKey: string): Promise<Permission | undefined> {
    const r = await this.pool.query(
      `SELECT vendor, wildcard, schema_action::text AS schema_action, key_action::text[] AS key_action FROM ${this.s}.iglu_permissions WHERE apikey = $1`,
      [apiKeyDigest(apiKey)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const vendor: VendorScope = row.vendor ? { parts: String(row.vendor).split('.').filter(Boolean), wildcard: row.wildcard } : { parts: [], wildcard: row.wildcard };
    return { vendor, schema: (row.schema_action as SchemaAction | null) ?? null, key: enumArray(row.key_action) as KeyAction[] };
  }

  /** Store a keygen pair: read = {prefix, READ}, write = {prefix, CREATE_VENDOR}, both covering sub-vendors. */
  async addKeyPair(read: string, write: string, vendor: VendorScope): Promise<void> {
    const v = vendor.parts.join('.');
    await this.pool.query(
      `INSERT INTO ${this.s}.iglu_permissions (apikey, vendor, wildcard, schema_action, key_action)
       VALUES ($1, $3, $4, 'READ', '{}'), ($2, $3, $4, 'CREATE_VENDOR', '{}')`,
      [apiKeyDigest(read), apiKeyDigest(write), v, vendor.wildcard],
    );
  }

  /** Store one key with an explicit permission (admin tooling and tests). */
  async addKey(key: string, p: Permission): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.iglu_permissions (apikey, vendor, wildcard, schema_action, key_action) VALUES ($1, $2, $3, $4, $5::text[]::${this.s}.key_action[])`,
      [apiKeyDigest(key), p.vendor.parts.join('.'), p.vendor.wildcard, p.schema, p.key],
    );
  }

  async deleteKey(key: string): Promise<number> {
    const r = await this.pool.query(`DELETE FROM ${this.s}.iglu_permissions WHERE apikey = $1`, [apiKeyDigest(key)]);
    return r.rowCount ?? 0;
  }

  // --- drafts ---

  async getDraft(vendor: string, name: string, format: string, version: number): Promise<StoredDraft | undefined> {
    const r = await this.pool.query(
      `SELECT vendor, name, format, version, created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at, is_public, body
       FROM ${this.s}.iglu_drafts WHERE vendor = $1 AND name = $2 AND format = $3 AND version = $4 LIMIT 1`,
      [vendor, name, format, version],
    );
    return r.rows[0] ? toDraft(r.rows[0]) : undefined;
  }

  async listDrafts(): Promise<StoredDraft[]> {
    const r = await this.pool.query(
      `SELECT vendor, name, format, version, created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at, is_public, body
       FROM ${this.s}.iglu_drafts ORDER BY created_at, ctid`,
    );
    return r.rows.map(toDraft);
  }

  /** Insert or replace a draft (drafts have no sequencing rules). Returns true when it existed. */
  async putDraft(vendor: string, name: string, format: string, version: number, body: object, isPublic: boolean): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`iglu-draft:${this.schema}:${vendor}/${name}/${format}/${version}`]);
      const u = await client.query(
        `UPDATE ${this.s}.iglu_drafts SET updated_at = clock_timestamp() AT TIME ZONE 'UTC', is_public = $5, body = $6
         WHERE vendor = $1 AND name = $2 AND format = $3 AND version = $4`,
        [vendor, name, format, version, isPublic, JSON.stringify(body)],
      );
      if (!u.rowCount)
        await client.query(
          `INSERT INTO ${this.s}.iglu_drafts (vendor, name, format, version, created_at, updated_at, is_public, body)
           VALUES ($1, $2, $3, $4, clock_timestamp() AT TIME ZONE 'UTC', clock_timestamp() AT TIME ZONE 'UTC', $5, $6)`,
          [vendor, name, format, version, isPublic, JSON.stringify(body)],
        );
      await client.query('COMMIT');
      return !!u.rowCount;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
