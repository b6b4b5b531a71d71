/**
 * Iglu resolver: finds schemas in the configured repositories, following iglu-scala-client 4.x
 * (spec-loaders-iglu-infra 4.5):
 *  - repositories are tried in order (vendor-prefix match first, then class InMemory < Embedded < HTTP,
 *    then ascending `priority`); the first success wins; every failure is recorded per repository;
 *  - results are cached (LRU of `cacheSize`, `cacheTtl` seconds or null = forever). A miss (NotFound
 *    everywhere) is cached until the TTL expires; a registry failure is retried with back-off; a cached
 *    success past its TTL is refreshed, and kept if the refresh fails (outage protection);
 *  - not-found and unavailable are different outcomes: `lookupSchema` returns `{ok:false}` with a
 *    `ResolutionError` (a bad row for the caller) only when every repository said NotFound, and throws
 *    `IgluUnavailableError` (retry, never a bad row) when any repository failed for a system reason.
 */
import {
  compareSchemaVer,
  isSchemaVer,
  parseSchemaKey,
  parseSchemaVer,
  schemaKeyToPath,
  schemaKeyToUri,
  type SchemaKey,
  type SchemaVer,
} from '../core/schema-key';
import { LruCache } from './cache';
import {
  IgluUnavailableError,
  NOT_FOUND,
  combineHistory,
  combineFailures,
  resolutionErrorJson,
  type FailureMap,
  type RegistryError,
  type ResolutionErrorJson,
} from './errors';
import { HttpRepository, type RepoResult, type Repository } from './repositories';

export interface ResolvedSchema {
  ok: true;
  /** The key asked for. */
  key: SchemaKey;
  uri: string;
  /** The schema as served (self-describing: `self`, `$schema`, JSON Schema keywords). */
  schema: Record<string, unknown>;
  /** Set when superseding was requested and the schema is superseded: `schema` is then the newer one. */
  supersededBy?: SchemaVer;
  /** Epoch ms this result was cached (undefined when caching is off). Same timestamp = same schema. */
  storedAt?: number;
}

export interface SchemaNotFound {
  ok: false;
  key: SchemaKey;
  uri: string;
  /** Every repository's answers, for the bad row. */
  error: ResolutionErrorJson;
}

export type SchemaLookup = ResolvedSchema | SchemaNotFound;

export type SchemaListLookup = { ok: true; keys: SchemaKey[] } | { ok: false; error: ResolutionErrorJson };

export interface ResolverOptions {
  /** LRU entries (schemas and lists each); <= 0 disables caching. */
  cacheSize?: number;
  /** Seconds a result stays fresh; null = forever; <= 0 disables caching. */
  cacheTtl?: number | null;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

export interface ResolverStats {
  /** Lookups answered from a fresh cache entry. */
  cacheHits: number;
  /** Lookups that consulted at least one repository. */
  repositoryLookups: number;
}

type Fetched = { schema: Record<string, unknown>; supersededBy?: SchemaVer };
type Cached<T> = { ok: true; value: T } | { ok: false; failures: FailureMap };

/** iglu-scala-client's retry back-off after a failed attempt (ms). */
export function retryBackoffMs(attempts: number): number {
  const min = 500;
  let b: number;
  if (attempts > 20) b = 1_200_000 + attempts * 100;
  else if (attempts > 12) b = min + 2 ** attempts + 5000;
  else if (attempts > 8) b = min + 3 ** attempts;
  else b = min + 4 ** attempts;
  return Math.min(b, 60_000);
}

export class Resolver {
  readonly repositories: readonly Repository[];
  readonly stats: ResolverStats = { cacheHits: 0, repositoryLookups: 0 };
  private readonly byName = new Map<string, Repository>();
  private readonly cacheEnabled: boolean;
  private readonly ttlMs: number | null;
  private readonly now: () => number;
  private readonly schemas: LruCache<string, Cached<ResolvedSchema>>;
  private readonly lists: LruCache<string, Cached<SchemaKey[]>>;
  /** One repository round-trip per key at a time (iglu-scala-client's per-key mutex). */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly igluCentral: Set<string>;

  constructor(repositories: Repository[], opts: ResolverOptions = {}) {
    const names = new Set<string>();
    for (const r of repositories) {
      if (names.has(r.name)) throw new Error(`Repository names must be unique, ${r.name} encountered more than once`);
      names.add(r.name);
      this.byName.set(r.name, r);
    }
    this.repositories = repositories;
    const size = opts.cacheSize ?? 500;
    const ttl = opts.cacheTtl === undefined ? 600 : opts.cacheTtl;
    this.cacheEnabled = size > 0 && (ttl === null || ttl > 0);
    this.ttlMs = ttl === null ? null : ttl * 1000;
    this.now = opts.now ?? Date.now;
    this.schemas = new LruCache(Math.max(size, 1));
    this.lists = new LruCache(Math.max(size, 1));
    this.igluCentral = new Set(
      repositories.filter((r) => r instanceof HttpRepository && /\biglucentral\b/.test(safeHost(r.uri))).map((r) => r.name),
    );
  }

  /** Order in which repositories are consulted for a vendor. */
  prioritize(vendor: string, repos: readonly Repository[] = this.repositories): Repository[] {
    const matched = (r: Repository) => (r.vendorPrefixes.some((p) => vendor.startsWith(p)) ? 0 : 1);
    return [...repos].sort((a, b) => matched(a) - matched(b) || a.classPriority - b.classPriority || a.priority - b.priority);
  }

  /** A fresh cached schema for an `iglu:` URI, without touching a repository (the validation hot path). */
  peekSchema(uri: string, resolveSuperseding = false): ResolvedSchema | undefined {
    if (!this.cacheEnabled) return undefined;
    const hit = this.schemas.get(resolveSuperseding ? `${uri}#superseding` : uri);
    if (hit && hit.value.ok && this.fresh(hit.storedAt)) {
      this.stats.cacheHits++;
      return hit.value.value;
    }
    return undefined;
  }

  /**
   * The schema for a key (or `iglu:` URI). With `resolveSuperseding`, a `$supersededBy` on the found
   * schema is followed and the newer schema returned with `supersededBy` set (Enrich's behaviour).
   * Resolves `{ok:false}` when no repository has it; throws `IgluUnavailableError` when a repository
   * could not answer and nothing usable is cached.
   */
  async lookupSchema(keyOrUri: SchemaKey | string, opts: { resolveSuperseding?: boolean } = {}): Promise<SchemaLookup> {
    const uri = typeof keyOrUri === 'string' ? keyOrUri : schemaKeyToUri(keyOrUri);
    const cacheKey = opts.resolveSuperseding ? `${uri}#superseding` : uri;
    if (this.cacheEnabled) {
      const hit = this.schemas.get(cacheKey);
      if (hit && hit.value.ok && this.fresh(hit.storedAt)) {
        this.stats.cacheHits++;
        return hit.value.value;
      }
    }
    const key = typeof keyOrUri === 'string' ? parseSchemaKey(keyOrUri) : keyOrUri;
    const outcome = await this.once(`s:${cacheKey}`, () => this.resolveSchema(key, uri, cacheKey, !!opts.resolveSuperseding));
    if (outcome.ok) return outcome.value;
    const error = resolutionErrorJson(outcome.failures);
    if (!this.isNotFound(outcome.failures)) throw new IgluUnavailableError(uri, error);
    return { ok: false, key, uri, error };
  }

  private async resolveSchema(key: SchemaKey, uri: string, cacheKey: string, superseding: boolean): Promise<Cached<ResolvedSchema>> {
    const get = async (repo: Repository): Promise<RepoResult<Fetched>> => {
      const found = await repo.lookup(key);
      if (!found.ok || !superseding) return found.ok ? { ok: true, value: { schema: found.value } } : found;
      const by = found.value.$supersededBy;
      if (by === undefined) return { ok: true, value: { schema: found.value } };
      if (typeof by !== 'string' || !isSchemaVer(by))
        return { ok: false, error: { error: 'ClientFailure', message: `Error while trying to decode superseding version: ${JSON.stringify(by)}` } };
      const newer = parseSchemaVer(by);
      if (compareSchemaVer(newer, key.version) <= 0)
        return { ok: false, error: { error: 'ClientFailure', message: `Superseding version ${by} isn't greater than the version of schema ${schemaKeyToPath(key)}` } };
      const next = await repo.lookup({ ...key, version: newer });
      return next.ok ? { ok: true, value: { schema: next.value, supersededBy: newer } } : next;
    };
    const result = await this.cachedTraverse(this.schemas, cacheKey, key.vendor, get, (f): ResolvedSchema => ({
      ok: true,
      key,
      uri,
      schema: f.schema,
      ...(f.supersededBy ? { supersededBy: f.supersededBy } : {}),
    }));
    return result;
  }

  /**
   * Keys of `vendor/name/jsonschema/model-*-*`, ascending by SchemaVer. Uses a repository's list route
   * (Iglu Server); when no repository lists them (static registries answer NotFound), probes versions
   * `model-0-0, model-0-1, …, model-1-0, …` until both the next addition and the next revision are missing.
   */
  async listSchemas(vendor: string, name: string, model: number): Promise<SchemaListLookup> {
    const cacheKey = `${vendor}/${name}/jsonschema/${model}`;
    if (this.cacheEnabled) {
      const hit = this.lists.get(cacheKey);
      if (hit && hit.value.ok && this.fresh(hit.storedAt)) {
        this.stats.cacheHits++;
        return { ok: true, keys: hit.value.value };
      }
    }
    const outcome = await this.once(`l:${cacheKey}`, () =>
      this.cachedTraverse(this.lists, cacheKey, vendor, (repo) => repo.list(vendor, name, model), (keys) => keys),
    );
    if (outcome.ok) return { ok: true, keys: outcome.value };
    if (!this.isNotFound(outcome.failures)) throw new IgluUnavailableError(`iglu:${cacheKey}-*-*`, resolutionErrorJson(outcome.failures));
    const probed = await this.probeVersions(vendor, name, model);
    if (probed.length) {
      if (this.cacheEnabled) this.lists.set(cacheKey, { ok: true, value: probed }, this.now());
      return { ok: true, keys: probed };
    }
    return { ok: false, error: resolutionErrorJson(outcome.failures) };
  }

  /** The highest SchemaVer of `vendor/name/jsonschema/model-*-*`, or undefined if there is none. */
  async latestSchemaKey(vendor: string, name: string, model: number): Promise<SchemaKey | undefined> {
    const r = await this.listSchemas(vendor, name, model);
    return r.ok ? r.keys[r.keys.length - 1] : undefined;
  }

  private async probeVersions(vendor: string, name: string, model: number): Promise<SchemaKey[]> {
    const found: SchemaKey[] = [];
    const exists = async (revision: number, addition: number): Promise<SchemaKey | undefined> => {
      const key = { vendor, name, format: 'jsonschema', version: { model, revision, addition } };
      const r = await this.lookupSchema(key);
      return r.ok ? key : undefined;
    };
    for (let revision = 0; ; revision++) {
      const first = await exists(revision, 0);
      if (!first) break;
      found.push(first);
      for (let addition = 1; ; addition++) {
        const k = await exists(revision, addition);
        if (!k) break;
        found.push(k);
      }
    }
    return found;
  }

  /** Drop every cached result (e.g. after publishing schemas in tests). */
  clearCache(): void {
    this.schemas.clear();
    this.lists.clear();
  }

  private fresh(storedAt: number): boolean {
    return this.ttlMs === null || this.now() - storedAt < this.ttlMs;
  }

  private once<T>(id: string, run: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(id);
    if (pending) return pending as Promise<T>;
    const p = run().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  /** Cache-aware traversal shared by schema and list lookups (iglu-scala-client `lookupSchemaResult`). */
  private async cachedTraverse<F, V>(
    cache: LruCache<string, Cached<V>>,
    cacheKey: string,
    vendor: string,
    get: (repo: Repository) => Promise<RepoResult<F>>,
    wrap: (fetched: F) => V,
  ): Promise<Cached<V>> {
    const cached = this.cacheEnabled ? cache.get(cacheKey) : undefined;
    let tried: FailureMap = new Map();
    let toTry: Repository[];
    if (cached && !cached.value.ok) {
      const stale = !this.fresh(cached.storedAt);
      // Past the TTL a miss is forgotten: its NotFounds are stripped so those repositories are asked again.
      tried = stale ? stripNotFound(cached.value.failures) : cached.value.failures;
      toTry = this.reposForRetry(tried);
      if (toTry.length === 0) return { ok: false, failures: tried };
    } else {
      toTry = [...this.repositories];
    }
    this.stats.repositoryLookups++;
    const fresh = await this.traverse(this.prioritize(vendor, toTry), get, tried);
    const outcome: Cached<V> = fresh.ok ? { ok: true, value: wrap(fresh.value) } : fresh;
    if (!this.cacheEnabled) return outcome;
    const now = this.now();
    const current = cache.get(cacheKey)?.value;
    let chosen: Cached<V>;
    if (outcome.ok) chosen = outcome;
    else if (current?.ok) chosen = current; // outage protection: keep the schema we had
    else if (current && !current.ok) chosen = { ok: false, failures: combineFailures(current.failures, outcome.failures) };
    else chosen = outcome;
    if (chosen.ok && isResolved(chosen.value)) (chosen.value as ResolvedSchema).storedAt = now;
    cache.set(cacheKey, chosen, now);
    return chosen;
  }

  private async traverse<F>(repos: Repository[], get: (repo: Repository) => Promise<RepoResult<F>>, tried: FailureMap): Promise<{ ok: true; value: F } | { ok: false; failures: FailureMap }> {
    const failures = new Map(tried);
    for (const repo of repos) {
      let r: RepoResult<F>;
      try {
        r = await get(repo);
      } catch (err) {
        r = { ok: false, error: { error: 'RepoFailure', message: (err as Error).message } };
      }
      if (r.ok) return r;
      const prev = failures.get(repo.name);
      const attempt = { errors: [r.error], attempts: (prev?.attempts ?? 0) + 1, lastAttempt: this.now() };
      failures.set(repo.name, prev ? { ...combineHistory(prev, attempt), attempts: attempt.attempts } : attempt);
    }
    return { ok: false, failures };
  }

  private reposForRetry(failures: FailureMap): Repository[] {
    const now = this.now();
    const out: Repository[] = [];
    for (const [name, h] of failures) {
      const repo = this.byName.get(name);
      if (!repo) continue;
      if (h.errors.some(isNotFoundError)) continue; // a NotFound stands until the TTL
      if (h.errors.length === 0) out.push(repo); // its NotFounds expired
      else if (!repo.local && now - h.lastAttempt > retryBackoffMs(h.attempts)) out.push(repo);
    }
    return out;
  }

  /**
   * Not found (a bad row) only if every custom repository said NotFound; Iglu Central and its mirrors
   * count as not found if one of them said so, even if another failed (iglu-scala-client `isNotFound`).
   */
  isNotFound(failures: FailureMap): boolean {
    let centralSeen = false;
    let centralNotFound = false;
    for (const [name, h] of failures) {
      if (this.igluCentral.has(name)) {
        centralSeen = true;
        if (h.errors.some(isNotFoundError)) centralNotFound = true;
      } else if (!h.errors.every(isNotFoundError)) return false;
    }
    return !centralSeen || centralNotFound;
  }
}

function isNotFoundError(e: RegistryError): boolean {
  return e.error === NOT_FOUND.error;
}

function stripNotFound(failures: FailureMap): FailureMap {
  const out: FailureMap = new Map();
  for (const [k, h] of failures) out.set(k, { ...h, errors: h.errors.filter((e) => !isNotFoundError(e)) });
  return out;
}

function isResolved(v: unknown): v is ResolvedSchema {
  return !!v && typeof v === 'object' && (v as ResolvedSchema).ok === true && 'schema' in (v as object);
}

function safeHost(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return '';
  }
}

