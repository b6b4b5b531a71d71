/**
 * What the emulator keeps in Postgres next to the user's tables (idempotent, so a persistent data dir or
 * an external database is bootstrapped once and reused):
 *  - schema `furrow_sf`: the VARIANT/OBJECT/ARRAY jsonb domains, shim functions the translator calls
 *    (`parse_json`, `sysdate`, `current_timestamp` …), the stage registry and COPY load history;
 *  - schema `"INFORMATION_SCHEMA"` (upper case, distinct from Postgres' own): `COLUMNS`, `TABLES` and
 *    `SCHEMATA` views with Snowflake's upper-case column names and type names;
 *  - schema `"PUBLIC"`, Snowflake's default schema.
 */
import type { PgConnection } from './backend';

const HIDDEN = `('pg_catalog', 'information_schema', 'furrow_sf', 'INFORMATION_SCHEMA', 'pg_toast')`;

export const BOOTSTRAP_SQL = [
  `CREATE SCHEMA IF NOT EXISTS furrow_sf`,
  `CREATE SCHEMA IF NOT EXISTS "PUBLIC"`,
  `CREATE SCHEMA IF NOT EXISTS "INFORMATION_SCHEMA"`,
  `DO $$ BEGIN CREATE DOMAIN furrow_sf.variant AS jsonb; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  `DO $$ BEGIN CREATE DOMAIN furrow_sf.object AS jsonb CHECK (jsonb_typeof(VALUE) = 'object'); EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  `DO $$ BEGIN CREATE DOMAIN furrow_sf.array AS jsonb CHECK (jsonb_typeof(VALUE) = 'array'); EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  `CREATE TABLE IF NOT EXISTS furrow_sf.stages (schema_name text NOT NULL, stage_name text NOT NULL, url text, file_format jsonb NOT NULL DEFAULT '{}',
     created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, stage_name))`,
  `CREATE TABLE IF NOT EXISTS furrow_sf.load_history (table_schema text NOT NULL, table_name text NOT NULL, file text NOT NULL, etag text NOT NULL,
     rows_loaded bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_schema, table_name, file, etag))`,
  `CREATE OR REPLACE FUNCTION furrow_sf.parse_json(text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT $1::jsonb $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.try_parse_json(text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
     BEGIN RETURN $1::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_json(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.object_keys(jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
     SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys($1) AS k $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.typeof(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
     SELECT CASE jsonb_typeof($1) WHEN 'object' THEN 'OBJECT' WHEN 'array' THEN 'ARRAY' WHEN 'string' THEN 'VARCHAR'
       WHEN 'boolean' THEN 'BOOLEAN' WHEN 'null' THEN 'NULL_VALUE'
       WHEN 'number' THEN CASE WHEN $1::text ~ '^-?[0-9]+$' THEN 'INTEGER' ELSE 'DECIMAL' END END $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 #>> '{}' $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(double precision) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(timestamp) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT to_char($1, 'YYYY-MM-DD HH24:MI:SS.MS') $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_varchar(date) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_timestamp(text) RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT $1::timestamp $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_timestamp(jsonb) RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT ($1 #>> '{}')::timestamp $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.to_timestamp(numeric) RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT to_timestamp($1) AT TIME ZONE 'UTC' $$`,
  // Snowflake: one value per statement; LTZ for CURRENT_TIMESTAMP, NTZ (UTC) for SYSDATE
  `CREATE OR REPLACE FUNCTION furrow_sf.current_timestamp() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT statement_timestamp() $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.sysdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT statement_timestamp() AT TIME ZONE 'UTC' $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.current_schema() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_schema() $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.current_database() RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(current_database()) $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.current_version() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '9.0.0 (furrow emulator)'::text $$`,
  `CREATE OR REPLACE FUNCTION furrow_sf.hash(anyelement) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended($1::text, 0) $$`,
  `CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."COLUMNS" AS
   SELECT upper(current_database())::text AS "TABLE_CATALOG", c.table_schema::text AS "TABLE_SCHEMA", c.table_name::text AS "TABLE_NAME",
          c.column_name::text AS "COLUMN_NAME", c.ordinal_position::numeric(38,0) AS "ORDINAL_POSITION", c.column_default::text AS "COLUMN_DEFAULT",
          c.is_nullable::text AS "IS_NULLABLE",
          (CASE WHEN c.domain_schema = 'furrow_sf' THEN upper(c.domain_name::text) ELSE CASE c.data_type
             WHEN 'character varying' THEN 'TEXT' WHEN 'character' THEN 'TEXT' WHEN 'text' THEN 'TEXT'
             WHEN 'numeric' THEN 'NUMBER' WHEN 'integer' THEN 'NUMBER' WHEN 'bigint' THEN 'NUMBER' WHEN 'smallint' THEN 'NUMBER'
             WHEN 'double precision' THEN 'FLOAT' WHEN 'real' THEN 'FLOAT' WHEN 'boolean' THEN 'BOOLEAN'
             WHEN 'timestamp without time zone' THEN 'TIMESTAMP_NTZ' WHEN 'timestamp with time zone' THEN 'TIMESTAMP_LTZ'
             WHEN 'date' THEN 'DATE' WHEN 'time without time zone' THEN 'TIME' WHEN 'bytea' THEN 'BINARY' WHEN 'jsonb' THEN 'VARIANT'
             ELSE upper(c.data_type::text) END END)::text AS "DATA_TYPE",
          (CASE WHEN c.data_type IN ('character varying', 'character', 'text') THEN coalesce(c.character_maximum_length, 16777216) END)::numeric(38,0) AS "CHARACTER_MAXIMUM_LENGTH",
          (CASE WHEN c.data_type = 'numeric' THEN c.numeric_precision END)::numeric(38,0) AS "NUMERIC_PRECISION",
          (CASE WHEN c.data_type = 'numeric' THEN c.numeric_scale END)::numeric(38,0) AS "NUMERIC_SCALE",
          NULL::text AS "COMMENT"
     FROM information_schema.columns c
    WHERE c.table_schema NOT IN ${HIDDEN} AND c.table_schema NOT LIKE 'pg\\_%'`,
  `CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."TABLES" AS
   SELECT upper(current_database())::text AS "TABLE_CATALOG", t.table_schema::text AS "TABLE_SCHEMA", t.table_name::text AS "TABLE_NAME",
          (CASE t.table_type WHEN 'BASE TABLE' THEN 'BASE TABLE' WHEN 'VIEW' THEN 'VIEW' ELSE t.table_type END)::text AS "TABLE_TYPE",
          NULL::text AS "COMMENT"
     FROM information_schema.tables t
    WHERE t.table_schema NOT IN ${HIDDEN} AND t.table_schema NOT LIKE 'pg\\_%'`,
  `CREATE OR REPLACE VIEW "INFORMATION_SCHEMA"."SCHEMATA" AS
   SELECT upper(current_database())::text AS "CATALOG_NAME", n.nspname::text AS "SCHEMA_NAME"
     FROM pg_namespace n
    WHERE n.nspname NOT IN ${HIDDEN} AND n.nspname NOT LIKE 'pg\\_%'`,
];

/** Create (or bring up to date) the emulator's catalog. Runs in one transaction. */
export async function bootstrapCatalog(conn: PgConnection): Promise<void> {
  await conn.query('BEGIN');
  try {
    // Two emulators bootstrapping one external database at once must not trip over each other.
    await conn.query('SELECT pg_advisory_xact_lock(7326001)');
    for (const sql of BOOTSTRAP_SQL) await conn.query(sql);
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
