/**
 * `IgluValidator` over the team's Iglu client (`pipeline/iglu/client.ts`). The hot path answers
 * synchronously from the resolver's cache and the compiled-validator cache; a cache miss goes to the
 * repositories (and may reject with `IgluUnavailableError`, which Enrich retries).
 */
import { formatSchemaVer, schemaKeyToUri, type SchemaKey } from '../core/schema-key';
import type { IgluClient } from '../iglu/client';
import type { ResolvedSchema } from '../iglu/resolver';
import type { CompiledSchema } from '../iglu/validator';
import type { IgluValidator, SdjCheck } from './iglu-client';

// Compiled validators by schema object: the resolver hands out the same object while it is cached, so this
// skips the validator's LRU on the hot path; a refreshed schema is a new object and is compiled again.
const compiledBySchema = new WeakMap<object, CompiledSchema>();

function validateResolved(client: IgluClient, resolved: ResolvedSchema, data: unknown): SdjCheck {
  let compiled = compiledBySchema.get(resolved.schema);
  if (!compiled) {
    const validatedWith = resolved.supersededBy ? schemaKeyToUri({ ...resolved.key, version: resolved.supersededBy }) : resolved.uri;
    compiled = client.validator.compile(validatedWith, resolved.schema);
    compiledBySchema.set(resolved.schema, compiled);
  }
  if (!compiled.ok) return { valid: false, error: { error: 'ValidationError', schemaIssues: compiled.issues } };
  const reports = compiled.validate(data);
  const supersededBy = resolved.supersededBy ? formatSchemaVer(resolved.supersededBy) : undefined;
  if (reports) return { valid: false, error: { error: 'ValidationError', dataReports: reports, ...(supersededBy ? { supersededBy } : {}) } };
  return supersededBy ? { valid: true, supersededBy } : { valid: true };
}

export function igluClientValidator(client: IgluClient): IgluValidator {
  return {
    check(_key: SchemaKey, uri: string, data: unknown): SdjCheck | Promise<SdjCheck> {
      const cached = client.resolver.peekSchema(uri, true);
      if (cached) return validateResolved(client, cached, data);
      return client.resolver.lookupSchema(uri, { resolveSuperseding: true }).then((lookup) => {
        if (!lookup.ok) return { valid: false, error: lookup.error } satisfies SdjCheck;
        return validateResolved(client, lookup, data);
      });
    },
  };
}
