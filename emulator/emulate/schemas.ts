/**
 * User schemas for `npm run emulate --schemas DIR`: every JSON file under DIR that is a self-describing
 * JSON Schema (`self: {vendor, name, format, version}`) is published to the local Iglu Server, at start
 * and whenever a file changes. A broken file is reported with its path, line and reason, and skipped:
 * the rest of the pipeline keeps running.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';

export interface SchemaProblem {
  file: string;
  line: number | null;
  reason: string;
}

export interface LoadedSchema {
  file: string;
  uri: string;
  vendor: string;
  name: string;
  format: string;
  version: string;
  schema: Record<string, unknown>;
}

const SELF_VENDOR = /^[a-zA-Z0-9_.-]+$/;
const SELF_NAME = /^[a-zA-Z0-9_-]+$/;
const SELF_VERSION = /^[1-9][0-9]*-[0-9]+-[0-9]+$/;

/** Line (1-based) of a character offset, for JSON.parse's "at position N". */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const metaValidator = new Ajv({ strict: false, validateSchema: false });

/** Parse and check one schema file; a problem names the file, the line when known, and the reason. */
export function readSchemaFile(path: string, root: string): LoadedSchema | SchemaProblem {
  const file = relative(root, path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { file, line: null, reason: `cannot read: ${(err as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const lineCol = /line (\d+)/.exec(msg);
    return { file, line: pos ? lineOf(text, Number(pos[1])) : lineCol ? Number(lineCol[1]) : null, reason: `not valid JSON: ${msg}` };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { file, line: 1, reason: 'a schema must be a JSON object' };
  const self = (json as { self?: Record<string, unknown> }).self;
  const selfLine = lineOf(text, Math.max(0, text.indexOf('"self"')));
  if (!self || typeof self !== 'object') return { file, line: 1, reason: 'missing "self": {"vendor", "name", "format", "version"} (not a self-describing JSON Schema)' };
  const { vendor, name, format, version } = self as Record<string, string>;
  if (typeof vendor !== 'string' || !SELF_VENDOR.test(vendor)) return { file, line: selfLine, reason: `self.vendor must match ${SELF_VENDOR}` };
  if (typeof name !== 'string' || !SELF_NAME.test(name)) return { file, line: selfLine, reason: `self.name must match ${SELF_NAME}` };
  if (format !== 'jsonschema') return { file, line: selfLine, reason: 'self.format must be "jsonschema"' };
  if (typeof version !== 'string' || !SELF_VERSION.test(version)) return { file, line: selfLine, reason: 'self.version must be a SchemaVer like 1-0-0' };
  try {
    const { self: _self, $schema: _meta, ...body } = json as Record<string, unknown>;
    metaValidator.compile(body);
  } catch (err) {
    return { file, line: null, reason: `not a usable JSON Schema: ${(err as Error).message}` };
  }
  return { file, uri: `iglu:${vendor}/${name}/${format}/${version}`, vendor, name, format, version, schema: json as Record<string, unknown> };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    // Iglu's static layout has no extension (…/jsonschema/1-0-0); plain .json files work too.
    else if (entry.isFile() && (entry.name.endsWith('.json') || SELF_VERSION.test(entry.name))) out.push(p);
  }
  return out;
}

/** Publishes schemas from a directory to an Iglu Server and keeps them in sync while files change. */
export class SchemaDirectory {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly problems = new Map<string, SchemaProblem>();
  readonly published = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly igluApi: string,
    private readonly apiKey: string,
    private readonly report: (line: string) => void,
  ) {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--schemas ${dir}: not a directory`);
  }

  /** Publish every schema (ascending versions, so the server's sequencing rules hold). */
  async sync(): Promise<{ published: number; problems: SchemaProblem[] }> {
    const loaded: LoadedSchema[] = [];
    this.problems.clear();
    for (const path of walk(this.dir)) {
      const r = readSchemaFile(path, this.dir);
      if ('reason' in r) this.problems.set(r.file, r);
      else loaded.push(r);
    }
    const ver = (v: string) => v.split('-').map(Number) as [number, number, number];
    loaded.sort((a, b) => {
      if (a.vendor !== b.vendor) return a.vendor < b.vendor ? -1 : 1;
      if (a.name !== b.name) return a.name < b.name ? -1 : 1;
      const [x, y] = [ver(a.version), ver(b.version)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    let published = 0;
    for (const s of loaded) {
      const text = JSON.stringify(s.schema);
      if (this.published.get(s.uri) === text) continue;
      const res = await fetch(`${this.igluApi}/schemas/${s.vendor}/${s.name}/${s.format}/${s.version}?isPublic=true`, {
        method: 'PUT',
        headers: { apikey: this.apiKey, 'content-type': 'application/json' },
        body: text,
      });
      const body = await res.text();
      if (res.ok) {
        this.published.set(s.uri, text);
        published++;
      } else this.problems.set(s.file, { file: s.file, line: null, reason: `the Iglu Server refused it (${res.status}): ${body.slice(0, 300)}` });
    }
    for (const p of this.problems.values()) this.report(`schema ${p.file}${p.line ? `:${p.line}` : ''}: ${p.reason}`);
    return { published, problems: [...this.problems.values()] };
  }

  /** Re-sync shortly after any change under the directory. */
  watch(): void {
    this.watcher = watch(this.dir, { recursive: true }, () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        void this.sync().then(
          (r) => r.published && this.report(`schemas: published ${r.published} changed schema(s) from ${this.dir}`),
          (err) => this.report(`schemas: sync failed: ${(err as Error).message}`),
        );
      }, 200);
    });
  }

  close(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }
}
