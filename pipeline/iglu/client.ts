/**
 * The Iglu client enrich and the loaders use: a `Resolver` plus cached draft-04 validators, with results
 * shaped as the schema-violation messages of Snowplow bad rows (spec-collector-enrich 4.2, 6.2):
 *   NotIglu            {json, error: "INVALID_SCHEMAVER" | ...}
 *   CriterionMismatch  {schemaKey, schemaCriterion}
 *   IgluError          {schemaKey, error: ResolutionError | ValidationError}
 * A registry outage throws `IgluUnavailableError` instead (retry; never a bad row).
 */
import {
  IgluParseError,
  criterionMatches,
  formatSchemaCriterion,
  formatSchemaVer,
  parseSchemaCriterion,
  parseSchemaKey,
  schemaKeyToUri,
  type IgluParseCode,
  type SchemaCriterion,
  type SchemaKey,
} from '../core/schema-key';
import type { ClientErrorJson } from './errors';
import { Resolver, type ResolvedSchema, type SchemaListLookup, type SchemaLookup } from './resolver';
import { resolverFromConfig, defaultResolverConfig } from './resolver-config';
import { SchemaValidator, type CompiledSchema } from './validator';

export type SchemaViolation =
  | { json: unknown; error: IgluParseCode }
  | { schemaKey: string; schemaCriterion: string }
  | { schemaKey: string; error: ClientErrorJson };

export interface ValidEntity {
  ok: true;
  key: SchemaKey;
  /** The `schema` string as received. */
  schema: string;
  data: unknown;
  /** Set when the schema was superseded: the version actually used for validation. */
  supersededBy?: string;
  /** URI of the schema the data was validated against (differs from `schema` when superseded). */
  validatedWith: string;
}

export interface InvalidEntity {
  ok: false;
  kind: 'NotIglu' | 'ResolutionError' | 'ValidationError' | 'CriterionMismatch';
  key?: SchemaKey;
  violation: SchemaViolation;
}

export type EntityValidation = ValidEntity | InvalidEntity;

export const CONTEXTS_CRITERION = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-*');
export const UNSTRUCT_EVENT_CRITERION = parseSchemaCriterion('iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-*');

export interface WrapperValidation {
  /** Valid inner entities (for a failed event the valid contexts are still kept). */
  entities: ValidEntity[];
  /** Every problem found, wrapper first; empty when all is valid. */
  violations: SchemaViolation[];
}

export class IgluClient {
  readonly validator: SchemaValidator;
  private readonly bySchema = new WeakMap<ResolvedSchema, { validatedWith: string; compiled: CompiledSchema }>();

  constructor(
    readonly resolver: Resolver,
    validator?: SchemaValidator,
  ) {
    this.validator = validator ?? new SchemaValidator();
  }

  /** A client on Furrow's embedded core schemas (plus any resolver-config document you pass). */
  static fromResolverConfig(json: unknown = defaultResolverConfig(), opts: { baseDir?: string } = {}): IgluClient {
    return new IgluClient(resolverFromConfig(json, opts));
  }

  lookupSchema(key: SchemaKey | string): Promise<SchemaLookup> {
    return this.resolver.lookupSchema(key);
  }

  listSchemas(vendor: string, name: string, model: number): Promise<SchemaListLookup> {
    return this.resolver.listSchemas(vendor, name, model);
  }

  /** Validate `{schema, data}`: envelope, schema resolution (following `$supersededBy`), then the data. */
  async validateSelfDescribing(json: unknown): Promise<EntityValidation> {
    if (!json || typeof json !== 'object' || Array.isArray(json) || typeof (json as { schema?: unknown }).schema !== 'string' || !('data' in json))
      return notIglu(json);
    const { schema, data } = json as { schema: string; data: unknown };
    let resolved: ResolvedSchema | undefined = this.resolver.peekSchema(schema, true);
    if (!resolved) {
      let lookup: SchemaLookup;
      try {
        lookup = await this.resolver.lookupSchema(schema, { resolveSuperseding: true });
      } catch (err) {
        if (err instanceof IgluParseError) return notIglu(json, err.code);
        throw err;
      }
      if (!lookup.ok) return { ok: false, kind: 'ResolutionError', key: lookup.key, violation: { schemaKey: schema, error: lookup.error } };
      resolved = lookup;
    }
    return this.check(resolved, schema, data);
  }

  /** Validate data against a known key (the envelope already unpacked). */
  async validateData(key: SchemaKey | string, data: unknown): Promise<EntityValidation> {
    const uri = typeof key === 'string' ? key : schemaKeyToUri(key);
    return this.validateSelfDescribing({ schema: uri, data });
  }

  private check(resolved: ResolvedSchema, schema: string, data: unknown): EntityValidation {
    // The resolver hands out the same object while it is cached: remember its validator by identity,
    // skipping the validator's LRU on the hot path (a refreshed schema is a new object, compiled again).
    let hit = this.bySchema.get(resolved);
    if (!hit) {
      const validatedWith = resolved.supersededBy ? schemaKeyToUri({ ...resolved.key, version: resolved.supersededBy }) : resolved.uri;
      hit = { validatedWith, compiled: this.validator.compile(validatedWith, resolved.schema) };
      this.bySchema.set(resolved, hit);
    }
    const { validatedWith, compiled } = hit;
    if (!compiled.ok)
      return { ok: false, kind: 'ValidationError', key: resolved.key, violation: { schemaKey: schema, error: { error: 'ValidationError', schemaIssues: compiled.issues } } };
    const reports = compiled.validate(data);
    const supersededBy = resolved.supersededBy ? formatSchemaVer(resolved.supersededBy) : undefined;
    if (reports)
      return {
        ok: false,
        kind: 'ValidationError',
        key: resolved.key,
        violation: { schemaKey: schema, error: { error: 'ValidationError', dataReports: reports, ...(supersededBy ? { supersededBy } : {}) } },
      };
    const valid: ValidEntity = { ok: true, key: resolved.key, schema, data, validatedWith };
    if (supersededBy) valid.supersededBy = supersededBy;
    return valid;
  }

  /** `co`/`cx` payload: a `contexts` 1-0-* wrapper whose data is an array of entities. */
  validateContexts(json: unknown): Promise<WrapperValidation> {
    return this.validateWrapper(json, CONTEXTS_CRITERION, (data) => (Array.isArray(data) ? data : [data]));
  }

  /** `ue_pr`/`ue_px` payload: an `unstruct_event` 1-0-* wrapper whose data is one entity. */
  validateUnstructEvent(json: unknown): Promise<WrapperValidation> {
    return this.validateWrapper(json, UNSTRUCT_EVENT_CRITERION, (data) => [data]);
  }

  private async validateWrapper(json: unknown, criterion: SchemaCriterion, inner: (data: unknown) => unknown[]): Promise<WrapperValidation> {
    const out: WrapperValidation = { entities: [], violations: [] };
    if (json && typeof json === 'object' && typeof (json as { schema?: unknown }).schema === 'string') {
      let key: SchemaKey | undefined;
      try {
        key = parseSchemaKey((json as { schema: string }).schema);
      } catch {
        key = undefined;
      }
      if (key && !criterionMatches(criterion, key)) {
        out.violations.push({ schemaKey: schemaKeyToUri(key), schemaCriterion: formatSchemaCriterion(criterion) });
        return out;
      }
    }
    const wrapper = await this.validateSelfDescribing(json);
    if (!wrapper.ok) {
      out.violations.push(wrapper.violation);
      return out;
    }
    const results = await Promise.all(inner(wrapper.data).map((e) => this.validateSelfDescribing(e)));
    for (const r of results) {
      if (r.ok) out.entities.push(r);
      else out.violations.push(r.violation);
    }
    return out;
  }
}

function notIglu(json: unknown, code?: IgluParseCode): InvalidEntity {
  let error: IgluParseCode = code ?? 'INVALID_DATA_PAYLOAD';
  if (!code && json && typeof json === 'object' && !Array.isArray(json) && typeof (json as { schema?: unknown }).schema !== 'string') error = 'INVALID_IGLUURI';
  return { ok: false, kind: 'NotIglu', violation: { json, error } };
}
