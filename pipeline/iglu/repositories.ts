/**
 * Schema repositories the resolver can consult (resolver-config `connection`):
 *  - `InMemoryRepository`: schemas handed over in code (class priority 1);
 *  - `EmbeddedRepository`: a folder in the Iglu static layout `<path>/schemas/{vendor}/{name}/{format}/{version}`,
 *    including Furrow's own core schemas (`path: "furrow:core"`) (class priority 2);
 *  - `HttpRepository`: an Iglu Server (`uri` ends in `/api`, optional `apikey`) or a static HTTP registry
 *    (an S3 website / any server of the static layout) — both answer `GET {uri}/schemas/{v}/{n}/{f}/{ver}`;
 *    only Iglu Server answers the list route, the resolver falls back to probing versions otherwise (class priority 100).
 * Lower class priority is consulted first (iglu-scala-client `Registry.classPriority`).
 */
import { readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  compareSchemaVer,
  parseSchemaKey,
  parseSelfDescribingSchema,
  isPathSafeVendor,
  schemaKeyToPath,
  schemaKeyToUri,
  trySchemaKey,
  isSchemaVer,
  parseSchemaVer,
  type SchemaKey,
} from '../core/schema-key';
import { NOT_FOUND, type RegistryError } from './errors';
import { PROJECT_ROOT } from '../runtime/project';

export type RepoResult<T> = { ok: true; value: T } | { ok: false; error: RegistryError };

export interface Repository {
  readonly name: string;
  /** The config's `priority`: lower is consulted earlier. */
  readonly priority: number;
  readonly vendorPrefixes: readonly string[];
  /** InMemory 1 < Embedded 2 < HTTP 100. */
  readonly classPriority: number;
  /** Local repositories never change their answer, so their failures are not retried. */
  readonly local: boolean;
  /** The schema JSON (self-describing schema as served), or why not. */
  lookup(key: SchemaKey): Promise<RepoResult<Record<string, unknown>>>;
  /** Keys of `vendor/name/jsonschema/model-*-*` this repository holds. */
  list(vendor: string, name: string, model: number): Promise<RepoResult<SchemaKey[]>>;
}

export interface RepositoryRef {
  name: string;
  priority: number;
  vendorPrefixes: string[];
}

/** Root of Furrow's core schema registry: the files are `pipeline/iglu/schemas/{vendor}/{name}/{format}/{version}`. */
export const CORE_REGISTRY_ROOT = join(PROJECT_ROOT, 'pipeline', 'iglu');
/** The embedded `path` that designates Furrow's core schemas in a resolver config. */
export const CORE_SCHEMAS_PATH = 'furrow:core';

const ok = <T>(value: T): RepoResult<T> => ({ ok: true, value });
const fail = (error: RegistryError): RepoResult<never> => ({ ok: false, error });
const repoFailure = (message: string): RepoResult<never> => fail({ error: 'RepoFailure', message });

function sortKeys(keys: SchemaKey[]): SchemaKey[] {
  return keys.sort((a, b) => compareSchemaVer(a.version, b.version));
}

export class InMemoryRepository implements Repository {
  readonly classPriority = 1;
  readonly local = true;
  readonly name: string;
  readonly priority: number;
  readonly vendorPrefixes: readonly string[];
  private readonly schemas = new Map<string, Record<string, unknown>>();

  /** `schemas`: self-describing schemas (`{self:{...}, ...}`). */
  constructor(ref: RepositoryRef, schemas: Array<Record<string, unknown>>) {
    this.name = ref.name;
    this.priority = ref.priority;
    this.vendorPrefixes = ref.vendorPrefixes;
    for (const s of schemas) this.schemas.set(schemaKeyToUri(parseSelfDescribingSchema(s).key), s);
  }

  async lookup(key: SchemaKey): Promise<RepoResult<Record<string, unknown>>> {
    const s = this.schemas.get(schemaKeyToUri(key));
    return s ? ok(s) : fail(NOT_FOUND);
  }

  async list(vendor: string, name: string, model: number): Promise<RepoResult<SchemaKey[]>> {
    const keys = [...this.schemas.keys()].map(parseSchemaKey).filter((k) => k.vendor === vendor && k.name === name && k.format === 'jsonschema' && k.version.model === model);
    return keys.length ? ok(sortKeys(keys)) : fail(NOT_FOUND);
  }
}

/** Resolve an embedded `path` from a resolver config: `furrow:core`, absolute, or relative to `baseDir`. */
export function embeddedDir(path: string, baseDir = process.cwd()): string {
  if (path === CORE_SCHEMAS_PATH) return CORE_REGISTRY_ROOT;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export class EmbeddedRepository implements Repository {
  readonly classPriority = 2;
  readonly local = true;
  readonly name: string;
  readonly priority: number;
  readonly vendorPrefixes: readonly string[];
  /** Files do not change while we run; parsed schemas (and misses) are kept. */
  private readonly loaded = new Map<string, Promise<RepoResult<Record<string, unknown>>>>();

  constructor(
    ref: RepositoryRef,
    /** Root of the static layout: schemas live under `<dir>/schemas/`. */
    readonly dir: string,
  ) {
    this.name = ref.name;
    this.priority = ref.priority;
    this.vendorPrefixes = ref.vendorPrefixes;
  }

  lookup(key: SchemaKey): Promise<RepoResult<Record<string, unknown>>> {
    if (!isPathSafeVendor(key.vendor)) return Promise.resolve(fail(NOT_FOUND));
    const path = schemaKeyToPath(key);
    let p = this.loaded.get(path);
    if (!p) {
      p = this.read(path);
      this.loaded.set(path, p);
    }
    return p;
  }

  private async read(path: string): Promise<RepoResult<Record<string, unknown>>> {
    let text: string;
    try {
      text = await readFile(join(this.dir, 'schemas', path), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return fail(NOT_FOUND);
      return repoFailure(`cannot read ${path}: ${(err as Error).message}`);
    }
    try {
      const json = JSON.parse(text) as unknown;
      if (!json || typeof json !== 'object' || Array.isArray(json)) return repoFailure(`${path} is not a JSON object`);
      return ok(json as Record<string, unknown>);
    } catch (err) {
      return repoFailure(`${path} is not valid JSON: ${(err as Error).message}`);
    }
  }

  async list(vendor: string, name: string, model: number): Promise<RepoResult<SchemaKey[]>> {
    if (!isPathSafeVendor(vendor)) return fail(NOT_FOUND);
    let files: string[];
    try {
      files = await readdir(join(this.dir, 'schemas', vendor, name, 'jsonschema'));
    } catch {
      return fail(NOT_FOUND);
    }
    const keys = files.filter(isSchemaVer).map((v) => ({ vendor, name, format: 'jsonschema', version: parseSchemaVer(v) })).filter((k) => k.version.model === model);
    return keys.length ? ok(sortKeys(keys)) : fail(NOT_FOUND);
  }
}

export interface HttpRepositoryOptions {
  uri: string;
  apikey?: string;
  /** Whole-request timeout in ms (the Scala client: connect 1 s + read 4 s). */
  timeoutMs?: number;
}

export class HttpRepository implements Repository {
  readonly classPriority = 100;
  readonly local = false;
  readonly name: string;
  readonly priority: number;
  readonly vendorPrefixes: readonly string[];
  readonly uri: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(ref: RepositoryRef, opts: HttpRepositoryOptions) {
    this.name = ref.name;
    this.priority = ref.priority;
    this.vendorPrefixes = ref.vendorPrefixes;
    this.uri = opts.uri.replace(/\/+$/, '');
    this.headers = { accept: 'application/json', ...(opts.apikey ? { apikey: opts.apikey } : {}) };
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  private async getJson(path: string): Promise<RepoResult<unknown>> {
    let res: Response;
    try {
      res = await fetch(`${this.uri}/schemas/${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return repoFailure(`${this.uri}: ${why}`);
    }
    if (res.status >= 400 && res.status < 500) {
      await res.body?.cancel();
      return fail(NOT_FOUND); // every 4xx counts as not found (iglu-scala-client ClientFailure -> NotFound)
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return repoFailure(`Unexpected server response: ${res.status}`);
    }
    try {
      return ok(JSON.parse(await res.text()) as unknown);
    } catch (err) {
      return repoFailure(`${this.uri}/schemas/${path}: body is not JSON (${(err as Error).message})`);
    }
  }

  async lookup(key: SchemaKey): Promise<RepoResult<Record<string, unknown>>> {
    // fetch() would resolve `schemas/../name` to another route of the registry host
    if (!isPathSafeVendor(key.vendor)) return fail(NOT_FOUND);
    const r = await this.getJson(schemaKeyToPath(key));
    if (!r.ok) return r;
    if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) return repoFailure(`${schemaKeyToUri(key)}: answer is not a JSON object`);
    return ok(r.value as Record<string, unknown>);
  }

  async list(vendor: string, name: string, model: number): Promise<RepoResult<SchemaKey[]>> {
    if (!isPathSafeVendor(vendor)) return fail(NOT_FOUND);
    const r = await this.getJson(`${vendor}/${name}/jsonschema/${model}`);
    if (!r.ok) return r;
    if (!Array.isArray(r.value)) return fail(NOT_FOUND); // a static registry has no list route
    const keys = r.value.map((u) => (typeof u === 'string' ? trySchemaKey(u) : undefined)).filter((k): k is SchemaKey => !!k);
    return keys.length ? ok(sortKeys(keys)) : fail(NOT_FOUND);
  }
}
