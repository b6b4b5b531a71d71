/** Pure: S3 keys and partitions of the s3-loader (Snowplow S3 Loader 3.x naming). */

export interface ParsedS3Path {
  bucket: string;
  /** Key prefix with a trailing slash, or '' for the bucket root. */
  prefix: string;
}

export function parseS3Path(path: string): ParsedS3Path {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(path);
  if (!m) throw new Error(`not an s3:// path: ${path}`);
  const rest = m[2]!;
  return { bucket: m[1]!, prefix: rest && !rest.endsWith('/') ? rest + '/' : rest };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export interface SchemaParts {
  vendor: string;
  name: string;
  format: string;
  model: string;
}

export const UNKNOWN_SCHEMA: SchemaParts = { vendor: 'unknown', name: 'unknown', format: 'unknown', model: '-1' };

/** `iglu:vendor/name/format/1-0-0` → parts, or null. */
export function schemaParts(uri: unknown): SchemaParts | null {
  if (typeof uri !== 'string') return null;
  const m = /^iglu:([a-zA-Z0-9_.-]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/([1-9][0-9]*|0)-([0-9]+)-([0-9]+)$/.exec(uri);
  return m ? { vendor: m[1]!, name: m[2]!, format: m[3]!, model: m[4]! } : null;
}

/**
 * Fill a partition format: schema placeholders {vendor} {schema}={name} {format} {model}; time placeholders
 * {yyyy} {MM} {dd} {HH} {mm} (minutes) {ss} in UTC.
 */
export function partitionPath(format: string, schema: SchemaParts | null, at: Date): string {
  if (!format) return '';
  const s = schema ?? UNKNOWN_SCHEMA;
  const values: Record<string, string> = {
    vendor: s.vendor,
    schema: s.name,
    name: s.name,
    format: s.format,
    model: s.model,
    yyyy: String(at.getUTCFullYear()),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
    mm: pad(at.getUTCMinutes()),
    ss: pad(at.getUTCSeconds()),
  };
  return format.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => values[key] ?? values[key.toLowerCase()] ?? whole).replace(/\/+$/, '');
}

/** `<prefix><partition>/<filenamePrefix><yyyy-MM-dd-HHmmss>-<uuid>.gz` */
export function objectKey(prefix: string, partition: string, filenamePrefix: string, at: Date, uuid: string, gzip: boolean): string {
  const stamp = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  return `${prefix}${partition ? partition + '/' : ''}${filenamePrefix}${stamp}-${uuid}${gzip ? '.gz' : ''}`;
}
