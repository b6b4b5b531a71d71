/**
 * Resolver configuration (`iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-x`, latest 1-0-3):
 *   {"cacheSize":500,"cacheTtl":600,"repositories":[{"name","priority","vendorPrefixes","connection":{"embedded":{"path"}}|{"http":{"uri","apikey"?}}}]}
 * The config is validated against our own copy of its schema before use (like the Scala client's bootstrap).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { criterionMatches, formatSchemaCriterion, parseSchemaCriterion, parseSelfDescribingData, schemaKeyToPath } from '../core/schema-key';
import { ResolverConfigError } from './errors';
import { CORE_REGISTRY_ROOT, CORE_SCHEMAS_PATH, EmbeddedRepository, HttpRepository, embeddedDir, type Repository } from './repositories';
import { Resolver, type ResolverOptions } from './resolver';
import { SchemaValidator } from './validator';

export const RESOLVER_CONFIG_CRITERION = parseSchemaCriterion('iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-*');

export interface RepositoryConfig {
  name: string;
  priority: number;
  vendorPrefixes: string[];
  connection: { embedded: { path: string } } | { http: { uri: string; apikey?: string | null } };
}

export interface ResolverConfig {
  cacheSize: number;
  cacheTtl?: number | null;
  repositories: RepositoryConfig[];
}

/** The laptop default: Furrow's core schemas only (add Iglu Server / Iglu Central repositories in production). */
export function defaultResolverConfig(extra: RepositoryConfig[] = []): { schema: string; data: ResolverConfig } {
  return {
    schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3',
    data: {
      cacheSize: 500,
      cacheTtl: 600,
      repositories: [{ name: 'Furrow core schemas', priority: 0, vendorPrefixes: [], connection: { embedded: { path: CORE_SCHEMAS_PATH } } }, ...extra],
    },
  };
}

/** Validate a resolver-config document and return its data. Throws ResolverConfigError naming the field. */
export function parseResolverConfig(json: unknown): ResolverConfig {
  let sd;
  try {
    sd = parseSelfDescribingData(json);
  } catch (err) {
    throw new ResolverConfigError(`resolver config is not self-describing JSON: ${(err as Error).message}`);
  }
  if (!criterionMatches(RESOLVER_CONFIG_CRITERION, sd.key))
    throw new ResolverConfigError(`Schema ${sd.schema} does not match criterion ${formatSchemaCriterion(RESOLVER_CONFIG_CRITERION)}`);
  // Every 1-0-x is checked with 1-0-3, the newest: its fields are a superset of the earlier ones'.
  const path = schemaKeyToPath({ ...sd.key, version: { model: 1, revision: 0, addition: 3 } });
  const schema = JSON.parse(readFileSync(`${CORE_REGISTRY_ROOT}/schemas/${path}`, 'utf8')) as Record<string, unknown>;
  const compiled = new SchemaValidator(4).compile(path, schema);
  if (!compiled.ok) throw new ResolverConfigError(`bundled resolver-config schema is unusable: ${compiled.issues[0]?.message}`);
  const reports = compiled.validate(sd.data);
  if (reports) throw new ResolverConfigError(`invalid resolver config: ${reports.map((r) => r.message).join('; ')}`);
  const data = sd.data as ResolverConfig;
  const names = new Map<string, number>();
  for (const r of data.repositories) names.set(r.name, (names.get(r.name) ?? 0) + 1);
  const dup = [...names].filter(([, n]) => n > 1);
  if (dup.length) throw new ResolverConfigError(`Repository names must be unique, ${dup.map(([n, c]) => `${n} encountered ${c} times`).join(', ')}`);
  return data;
}

export function repositoriesFromConfig(config: ResolverConfig, baseDir?: string): Repository[] {
  return config.repositories.map((r) => {
    const ref = { name: r.name, priority: r.priority, vendorPrefixes: r.vendorPrefixes };
    if ('embedded' in r.connection) return new EmbeddedRepository(ref, embeddedDir(r.connection.embedded.path, baseDir));
    const { uri, apikey } = r.connection.http;
    return new HttpRepository(ref, { uri, ...(apikey ? { apikey } : {}) });
  });
}

/** Build a resolver from a resolver-config document; embedded paths resolve relative to `baseDir`. */
export function resolverFromConfig(json: unknown, opts: { baseDir?: string; now?: ResolverOptions['now'] } = {}): Resolver {
  const config = parseResolverConfig(json);
  return new Resolver(repositoriesFromConfig(config, opts.baseDir), { cacheSize: config.cacheSize, cacheTtl: config.cacheTtl ?? null, now: opts.now });
}

/** Read a resolver-config file (embedded paths relative to the file). */
export function resolverFromFile(file: string): Resolver {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResolverConfigError(`cannot read resolver config ${file}: ${(err as Error).message}`);
  }
  return resolverFromConfig(json, { baseDir: dirname(file) });
}
