/**
 * The Iglu client's error model, shaped like iglu-scala-client's `ClientError` JSON so bad rows carry
 * the same structure as Snowplow's (spec-collector-enrich 4.2 / 6.2):
 *   {"error":"ResolutionError","lookupHistory":[{"repository","errors":[{"error":"NotFound"}],"attempts","lastAttempt"}]}
 *   {"error":"ValidationError","dataReports":[{"message","path","keyword","targets"}]}
 *   {"error":"ValidationError","schemaIssues":[{"path","message"}]}
 */

/** What one repository answered for one lookup. */
export type RegistryError =
  | { error: 'NotFound' }
  | { error: 'RepoFailure'; message: string } // 5xx, timeout, unreachable, unparseable body: worth retrying
  | { error: 'ClientFailure'; message: string }; // our side: bad config, invalid superseding version

export const NOT_FOUND: RegistryError = Object.freeze({ error: 'NotFound' }) as RegistryError;

/** Per-repository history of failed attempts for one key (iglu-scala-client `LookupHistory`). */
export interface LookupHistory {
  errors: RegistryError[];
  attempts: number;
  /** Epoch milliseconds of the last attempt. */
  lastAttempt: number;
}

export interface ValidatorReport {
  message: string;
  path: string | null;
  keyword: string | null;
  targets: string[];
}

export interface SchemaIssue {
  path: string;
  message: string;
}

export interface ResolutionErrorJson {
  error: 'ResolutionError';
  lookupHistory: Array<{ repository: string; errors: RegistryError[]; attempts: number; lastAttempt: string }>;
}

export type ValidationErrorJson =
  | { error: 'ValidationError'; dataReports: ValidatorReport[]; supersededBy?: string }
  | { error: 'ValidationError'; schemaIssues: SchemaIssue[] };

export type ClientErrorJson = ResolutionErrorJson | ValidationErrorJson;

/** Failures of every repository tried for one key, by repository name. */
export type FailureMap = Map<string, LookupHistory>;

/** Sorted by repository name, like the Scala client's SortedMap. */
export function resolutionErrorJson(failures: FailureMap): ResolutionErrorJson {
  return {
    error: 'ResolutionError',
    lookupHistory: [...failures.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([repository, h]) => ({ repository, errors: h.errors, attempts: h.attempts, lastAttempt: new Date(h.lastAttempt).toISOString() })),
  };
}

const MAX_ERRORS = 32;

function errorId(e: RegistryError): string {
  return e.error === 'NotFound' ? 'NotFound' : `${e.error}:${e.message}`;
}

/** Union of two histories of the same repository (errors de-duplicated, max attempts, latest attempt). */
export function combineHistory(a: LookupHistory, b: LookupHistory): LookupHistory {
  const seen = new Set<string>();
  const errors: RegistryError[] = [];
  for (const e of [...a.errors, ...b.errors]) {
    const id = errorId(e);
    if (seen.has(id) || errors.length >= MAX_ERRORS) continue;
    seen.add(id);
    errors.push(e);
  }
  return { errors, attempts: Math.max(a.attempts, b.attempts), lastAttempt: Math.max(a.lastAttempt, b.lastAttempt) };
}

export function combineFailures(a: FailureMap, b: FailureMap): FailureMap {
  const out = new Map(a);
  for (const [k, v] of b) {
    const prev = out.get(k);
    out.set(k, prev ? combineHistory(prev, v) : v);
  }
  return out;
}

/**
 * Raised when a schema cannot be resolved for a *system* reason (a registry is down, times out or
 * answers 5xx) and nothing usable is cached. Callers must retry (or stop), never emit a bad row
 * (spec-collector-enrich 4.1 "Iglu outage", 6.3 rule 10).
 */
export class IgluUnavailableError extends Error {
  readonly retryable = true;
  constructor(
    readonly schemaUri: string,
    readonly resolution: ResolutionErrorJson,
  ) {
    super(
      `Iglu unavailable while resolving ${schemaUri}: ` +
        resolution.lookupHistory
          .map((h) => `${h.repository} [${h.errors.map((e) => (e.error === 'NotFound' ? 'NotFound' : `${e.error}: ${e.message}`)).join(', ')}] after ${h.attempts} attempt(s)`)
          .join('; '),
    );
    this.name = 'IgluUnavailableError';
  }
}

/** A resolver configuration that cannot be used. */
export class ResolverConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolverConfigError';
  }
}
