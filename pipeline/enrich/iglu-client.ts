/**
 * What Enrich needs from Iglu: "is this datum valid against this schema?" (iglu-scala-client `check`).
 * Answers are data (valid, maybe via a superseding version; or a `ClientError`: ResolutionError /
 * ValidationError); an *outage* is not an answer: implementations reject with `IgluUnavailableError`,
 * which Enrich retries and never turns into a bad row.
 */
import type { SchemaKey } from '../core/schema-key';
import type { ClientErrorJson } from '../iglu/errors';

export type SdjCheck = { valid: true; supersededBy?: string } | { valid: false; error: ClientErrorJson };

export interface IgluValidator {
  /**
   * Validate `data` against the schema `key` (its URI is `uri`). `supersededBy` (a SchemaVer `m-r-a`) is set
   * when the schema is superseded and the data was validated with the newer version.
   * May answer synchronously when the compiled schema is cached.
   */
  check(key: SchemaKey, uri: string, data: unknown): SdjCheck | Promise<SdjCheck>;
}
