/**
 * Furrow's Iglu Server: the REST API of Snowplow Iglu Server 0.14.0 (spec-loaders-iglu-infra 4.2) on
 * Postgres. Mounts `/api/schemas`, `/api/auth`, `/api/validation`, `/api/drafts`, `/api/meta`, plus
 * Furrow's `/health` and `/metrics`. Auth by the `apikey` header: none or unknown = anonymous (public
 * reads only), a stored key's permission, or the configured super key.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import {
  IgluParseError,
  META_SCHEMA_URI,
  NAME_PATTERN,
  VENDOR_PATTERN,
  compareSchemaVer,
  formatSchemaVer,
  isSchemaVer,
  makeSchemaKey,
  parseSchemaVer,
  parseSelfDescribingData,
  parseSelfDescribingSchema,
  schemaKeyToUri,
  schemaSelf,
  type SchemaKey,
  type SchemaVer,
} from '../../core/schema-key';
import { SchemaValidator } from '../validator';
import type { IgluServerConfig } from './config';
import { HttpError, boolParam, json, message, pathSegments, readJson, send, type Reply } from './http';
import { lintSchema, type LintMessage } from './lint';
import {
  MASTER,
  NOOP,
  canCreateKeys,
  canCreateNewName,
  canCreateSchema,
  canDeleteKeys,
  canRead,
  isMaster,
  parseVendorScope,
  permissionJson,
  vendorScopeString,
  type Permission,
} from './permission';
import { PostgresStorage, type StoredDraft, type StoredSchema } from './storage';
import { checkVersion, inconsistencyMessage } from './version-cursor';

export const IGLU_SERVER_VERSION = '0.14.0-furrow';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const NOT_FOUND_SCHEMA = 'The schema is not found';
const NOT_AUTHORIZED = 'Authentication error: not authorized';
const NOT_FOUND_ENDPOINT = 'The endpoint does not exist';

type Repr = 'uri' | 'meta' | 'canonical';

interface Ctx {
  req: IncomingMessage;
  url: URL;
  seg: string[];
  method: string;
  /** Resolved lazily: health checks never touch the key table. */
  permission(): Promise<Permission>;
}

export class IgluServer {
  readonly metrics = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly validator = new SchemaValidator(500);
  private readonly superKey: Buffer | undefined;

  constructor(
    readonly storage: PostgresStorage,
    readonly config: IgluServerConfig,
    private readonly log: pino.Logger = pino({ level: config.logLevel }),
  ) {
    this.superKey = config.superApiKey ? Buffer.from(config.superApiKey.toLowerCase()) : undefined;
    this.requests = new Counter({ name: 'iglu_http_requests_total', help: 'Iglu Server HTTP requests', labelNames: ['method', 'route', 'status'], registers: [this.metrics] });
    this.latency = new Histogram({
      name: 'iglu_http_request_seconds',
      help: 'Iglu Server request latency',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.metrics],
    });
  }

  /** The node:http request listener. Never throws; every failure is a JSON answer. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let route = 'unknown';
    void this.dispatch(req, (r) => (route = r))
      .catch((err: unknown) => this.errorReply(err))
      .then((reply) => {
        send(res, reply);
        this.requests.inc({ method: req.method ?? '', route, status: String(reply.status) });
        this.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      });
  };

  private errorReply(err: unknown): Reply {
    if (err instanceof HttpError) return message(err.status, err.message, err.extra);
    if (err instanceof IgluParseError) return message(400, err.message, { code: err.code });
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P01' || /Connection terminated|timeout exceeded when trying to connect/i.test((err as Error)?.message ?? '')) {
      this.log.warn({ err }, 'database unavailable');
      return message(503, 'Database is not available');
    }
    this.log.error({ err }, 'unexpected error');
    return message(500, 'Internal server error');
  }

  private async authenticate(req: IncomingMessage): Promise<Permission> {
    const header = req.headers.apikey;
    const raw = Array.isArray(header) ? header[0] : header;
    if (raw === undefined || raw === '') return NOOP;
    const key = raw.trim();
    if (!UUID.test(key)) throw new HttpError(400, `Error parsing apikey HTTP header. Invalid UUID for ApiKey: '${key.slice(0, 64)}'`);
    if (this.superKey) {
      const given = Buffer.from(key.toLowerCase());
      if (given.length === this.superKey.length && timingSafeEqual(given, this.superKey)) return MASTER;
    }
    // An unknown key is treated as no key: we do not reveal which keys exist.
    return (await this.storage.getPermission(key)) ?? NOOP;
  }

  private async dispatch(req: IncomingMessage, setRoute: (r: string) => void): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://iglu.local');
    const seg = pathSegments(url.pathname);
    const method = req.method ?? 'GET';
    let perm: Promise<Permission> | undefined;
    const ctx: Ctx = { req, url, seg, method, permission: () => (perm ??= this.authenticate(req)) };

    if (seg.length === 1 && seg[0] === 'health') {
      setRoute('/health');
      return this.health(method);
    }
    if (seg.length === 1 && seg[0] === 'metrics') {
      setRoute('/metrics');
      allow(method, ['GET']);
      return { status: 200, body: await this.metrics.metrics(), text: true, headers: { 'content-type': this.metrics.contentType } };
    }
    if (seg[0] !== 'api') throw new HttpError(404, NOT_FOUND_ENDPOINT);
    const [, area, ...rest] = seg;
    setRoute(`/api/${area ?? ''}`);
    switch (area) {
      case 'schemas':
        return this.schemas(ctx, rest);
      case 'auth':
        return this.auth(ctx, rest);
      case 'validation':
        return this.validation(ctx, rest);
      case 'drafts':
        return this.drafts(ctx, rest);
      case 'meta':
        return this.meta(ctx, rest);
      case 'debug':
        if (!this.config.debug) throw new HttpError(404, NOT_FOUND_ENDPOINT);
        allow(method, ['GET']);
        if (!isMaster(await ctx.permission())) throw new HttpError(403, NOT_AUTHORIZED);
        return json(200, { schemas: await this.storage.countSchemas(), drafts: (await this.storage.listDrafts()).length });
      default:
        throw new HttpError(404, NOT_FOUND_ENDPOINT);
    }
  }

  private async health(method: string): Promise<Reply> {
    allow(method, ['GET', 'HEAD']);
    try {
      await this.storage.ping();
      return { status: 200, body: 'OK', text: true };
    } catch {
      return message(503, 'Database is not available');
    }
  }

  // ---------------------------------------------------------------- /api/meta

  private async meta(ctx: Ctx, rest: string[]): Promise<Reply> {
    const path = rest.join('/');
    if (path === 'health') {
      allow(ctx.method, ['GET', 'HEAD']);
      return { status: 200, body: 'OK', text: true };
    }
    if (path === 'health/db') return this.health(ctx.method);
    if (path === 'server') {
      allow(ctx.method, ['GET']);
      const p = await ctx.permission();
      const all = await this.storage.listSchemas();
      return json(200, {
        version: IGLU_SERVER_VERSION,
        authInfo: permissionJson(p),
        database: 'postgres',
        schemaCount: all.filter((s) => canRead(p, s.key.vendor)).length,
        debug: this.config.debug,
        patchesAllowed: this.config.patchesAllowed,
      });
    }
    throw new HttpError(404, NOT_FOUND_ENDPOINT);
  }

  // ---------------------------------------------------------------- /api/schemas

  private async schemas(ctx: Ctx, rest: string[]): Promise<Reply> {
    const { method } = ctx;
    if (rest[0] === 'validate') {
      // Deprecated lint endpoint: POST /api/schemas/validate/{vendor}/{name}/jsonschema/{version}
      allow(method, ['POST']);
      if (rest.length !== 5) throw new HttpError(404, NOT_FOUND_ENDPOINT);
      return this.lintReply(ctx, await this.body(ctx));
    }
    if (rest.length === 0) {
      allow(method, ['GET', 'POST']);
      if (method === 'POST') return this.publish(ctx, await this.body(ctx), undefined);
      return this.list(ctx, {}, this.repr(ctx, 'uri'), false);
    }
    if (rest.length === 1) {
      allow(method, ['GET']);
      return this.list(ctx, { vendor: validVendor(rest[0]!) }, this.repr(ctx, 'uri'), true);
    }
    if (rest.length === 2) {
      allow(method, ['GET']);
      return this.list(ctx, { vendor: validVendor(rest[0]!), name: validName(rest[1]!) }, this.repr(ctx, 'uri'), true);
    }
    if (rest.length === 4) {
      const [vendor, name, format, version] = rest as [string, string, string, string];
      if (format === 'jsonschema' && /^[0-9]+$/.test(version)) {
        allow(method, ['GET']);
        return this.list(ctx, { vendor: validVendor(vendor), name: validName(name), model: Number(version) }, this.repr(ctx, 'uri'), true);
      }
      const key = pathKey(vendor, name, format, version);
      allow(method, ['GET', 'PUT', 'DELETE']);
      if (method === 'GET') return this.getOne(ctx, key);
      if (method === 'PUT') return this.publish(ctx, await this.body(ctx), key);
      return this.remove(ctx, key);
    }
    throw new HttpError(404, NOT_FOUND_ENDPOINT);
  }

  private repr(ctx: Ctx, fallback: Repr): Repr {
    const r = ctx.url.searchParams.get('repr');
    if (r === null || r === '') return ctx.url.searchParams.get('metadata') === '1' ? 'meta' : fallback;
    const v = r.toLowerCase();
    if (v === 'uri' || v === 'meta' || v === 'canonical') return v;
    throw new HttpError(400, `Query parameter repr must be uri, meta or canonical, got '${r.slice(0, 32)}'`);
  }

  private async body(ctx: Ctx): Promise<unknown> {
    return readJson(ctx.req, this.config.maxBodyBytes);
  }

  private async getOne(ctx: Ctx, key: SchemaKey): Promise<Reply> {
    const repr = this.repr(ctx, 'canonical');
    const s = await this.storage.getSchema(key);
    if (!s || !(s.isPublic || canRead(await ctx.permission(), key.vendor))) throw new HttpError(404, NOT_FOUND_SCHEMA);
    return json(200, represent(s, repr));
  }

  private async list(ctx: Ctx, filter: { vendor?: string; name?: string; model?: number }, repr: Repr, emptyIs404: boolean): Promise<Reply> {
    const p = await ctx.permission();
    const rows = (await this.storage.listSchemas(filter)).filter((s) => s.isPublic || canRead(p, s.key.vendor));
    if (emptyIs404 && rows.length === 0) throw new HttpError(404, 'No schemas available');
    return json(
      200,
      rows.map((s) => represent(s, repr)),
    );
  }

  private async remove(ctx: Ctx, key: SchemaKey): Promise<Reply> {
    const p = await ctx.permission();
    if (!isMaster(p)) throw new HttpError(401, 'Not enough permissions');
    if (!this.config.patchesAllowed) throw new HttpError(405, 'DELETE is forbidden on production registry');
    const n = await this.storage.deleteSchema(key);
    if (n === 0) throw new HttpError(404, NOT_FOUND_SCHEMA);
    return message(200, 'Schema deleted');
  }

  /** POST (self-describing body, `uriKey` undefined) or PUT (key from the path; body self-describing or bare). */
  private async publish(ctx: Ctx, body: unknown, uriKey: SchemaKey | undefined): Promise<Reply> {
    const isPublic = boolParam(ctx.url.searchParams.get('isPublic'), 'isPublic', false);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Cannot decode JSON schema', { details: 'the schema must be a JSON object' });
    let key: SchemaKey;
    const hasSelf = 'self' in body;
    if (!uriKey || hasSelf) {
      try {
        key = parseSelfDescribingSchema(body).key;
      } catch (err) {
        throw new HttpError(400, 'Cannot decode JSON schema', { details: (err as Error).message });
      }
      if (uriKey && schemaKeyToUri(uriKey) !== schemaKeyToUri(key))
        throw new HttpError(400, 'Mismatch: the schema metadata does not match the payload and URI', {
          uriSchemaKey: schemaKeyToUri(uriKey),
          payloadSchemaKey: schemaKeyToUri(key),
        });
    } else key = uriKey;

    const p = await ctx.permission();
    if (!canCreateSchema(p, key.vendor)) throw new HttpError(403, NOT_AUTHORIZED);

    const lint = lintSchema(body, { key, maxJsonDepth: this.config.maxJsonDepth });
    if (lint.hasErrors || !lint.body) throw new HttpError(400, 'The schema does not conform to a JSON Schema v4 specification', { report: lint.messages.filter((m) => m.level === 'ERROR') });
    const stored = { ...lint.body };
    delete stored.$supersededBy; // server-managed
    const supersedes = parseSupersedes(stored.$supersedes, key.version);
    delete stored.$supersedes;

    const updated = await this.storage.withGroupLock(key.vendor, key.name, async (client) => {
      const group = await this.storage.listSchemas({ vendor: key.vendor, name: key.name }, client);
      if (group.length === 0 && !canCreateNewName(p)) throw new HttpError(403, 'A BUMP key can only add versions to an existing schema');
      if (group.length > 0) {
        const previousPublic = group.every((s) => s.isPublic);
        if (previousPublic !== isPublic) throw new HttpError(409, inconsistencyMessage({ kind: 'Availability', isPublic, previousPublic }));
      }
      const sameFormat = group.filter((s) => s.key.format === key.format);
      const problem = checkVersion(
        key.version,
        sameFormat.map((s) => s.key.version),
        this.config.patchesAllowed,
      );
      if (problem) throw new HttpError(409, inconsistencyMessage(problem, key.version));
      for (const v of supersedes ?? [])
        if (!sameFormat.some((s) => compareSchemaVer(s.key.version, v) === 0))
          throw new HttpError(409, `Cannot supersede ${formatSchemaVer(v)}: that version does not exist`);
      const exists = sameFormat.some((s) => compareSchemaVer(s.key.version, key.version) === 0);
      const supersedesText = supersedes ? supersedes.map(formatSchemaVer) : null;
      if (exists) await this.storage.updateSchema(client, key, stored, isPublic, supersedesText);
      else await this.storage.insertSchema(client, key, stored, isPublic, supersedesText);
      if (supersedes?.length) await this.storage.markSuperseded(client, key, supersedes, key.version);
      return exists;
    });
    this.fireWebhooks(key, updated);
    const location = schemaKeyToUri(key);
    return json(updated ? 200 : 201, { message: updated ? 'Schema updated' : 'Schema created', updated, location, status: updated ? 200 : 201 });
  }

  private fireWebhooks(key: SchemaKey, updated: boolean): void {
    for (const hook of this.config.webhooks) {
      if (hook.vendorPrefixes?.length && !hook.vendorPrefixes.some((p) => key.vendor.startsWith(p))) continue;
      const uri = schemaKeyToUri(key);
      const req = hook.usePost
        ? fetch(hook.uri, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schemaKey: uri, updated }), signal: AbortSignal.timeout(5000) })
        : fetch(`${hook.uri}${hook.uri.includes('?') ? '&' : '?'}schemaKey=${encodeURIComponent(uri)}&updated=${updated}`, { signal: AbortSignal.timeout(5000) });
      req.then((r) => r.body?.cancel()).catch((err: unknown) => this.log.warn({ err, hook: hook.uri }, 'webhook failed'));
    }
  }

  // ---------------------------------------------------------------- /api/validation

  private async validation(ctx: Ctx, rest: string[]): Promise<Reply> {
    const path = rest.join('/');
    allow(ctx.method, ['POST']);
    if (path === 'validate/schema/jsonschema') return this.lintReply(ctx, await this.body(ctx));
    if (path === 'validate/instance') return this.validateInstance(ctx, await this.body(ctx));
    throw new HttpError(404, NOT_FOUND_ENDPOINT);
  }

  private async lintReply(ctx: Ctx, body: unknown): Promise<Reply> {
    const lint = lintSchema(body, { maxJsonDepth: this.config.maxJsonDepth });
    const messages: LintMessage[] = [...lint.messages];
    if (lint.key) {
      // Version checks are warnings here (as in Iglu Server): the schema is fine, publishing it may not be.
      const p = await ctx.permission();
      const group = (await this.storage.listSchemas({ vendor: lint.key.vendor, name: lint.key.name })).filter((s) => s.isPublic || canRead(p, s.key.vendor));
      const problem = checkVersion(
        lint.key.version,
        group.map((s) => s.key.version),
        false,
      );
      if (problem?.kind === 'AlreadyExists')
        messages.push({
          level: 'WARNING',
          pointer: '/',
          message: this.config.patchesAllowed ? `Schema ${formatSchemaVer(lint.key.version)} already exists and would be overwritten` : `Schema ${formatSchemaVer(lint.key.version)} already exists`,
        });
      else if (problem?.kind === 'PreviousMissing') messages.push({ level: 'WARNING', pointer: '/', message: `The SchemaVer preceding ${formatSchemaVer(lint.key.version)} is missing in the database` });
      else if (problem) messages.push({ level: 'WARNING', pointer: '/', message: inconsistencyMessage(problem, lint.key.version) });
    }
    if (!lint.hasErrors && lint.key && messages.length === 0) return message(200, `The schema provided is a valid self-describing ${schemaKeyToUri(lint.key)} schema`);
    return json(200, { message: 'The schema does not conform to a JSON Schema v4 specification', report: messages });
  }

  private async validateInstance(ctx: Ctx, body: unknown): Promise<Reply> {
    let key: SchemaKey;
    let data: unknown;
    try {
      ({ key, data } = parseSelfDescribingData(body));
    } catch (err) {
      throw new HttpError(400, `JSON payload is not self-describing, ${err instanceof IgluParseError ? err.code : 'INVALID_DATA_PAYLOAD'}`);
    }
    const s = await this.storage.getSchema(key);
    if (!s || !(s.isPublic || canRead(await ctx.permission(), key.vendor))) throw new HttpError(404, NOT_FOUND_SCHEMA);
    const uri = schemaKeyToUri(key);
    const compiled = this.validator.compile(`${uri}@${s.updatedAt.getTime()}`, s.body);
    if (!compiled.ok) return message(500, `Schema ${uri} fetched from DB is invalid`);
    const reports = compiled.validate(data);
    if (reports) return json(200, { message: 'The data for a field instance is invalid against its schema', report: reports });
    return message(200, `Instance is valid ${uri}`);
  }

  // ---------------------------------------------------------------- /api/drafts

  private async drafts(ctx: Ctx, rest: string[]): Promise<Reply> {
    const p = await ctx.permission();
    if (rest.length === 0) {
      allow(ctx.method, ['GET']);
      const drafts = (await this.storage.listDrafts()).filter((d) => d.isPublic || canRead(p, d.vendor));
      return json(
        200,
        drafts.map((d) => draftRepr(d)),
      );
    }
    if (rest.length !== 4) throw new HttpError(404, NOT_FOUND_ENDPOINT);
    const [vendor, name, format, versionText] = rest as [string, string, string, string];
    validVendor(vendor);
    if (!/^[a-zA-Z0-9\-_]+$/.test(name) || !/^[a-zA-Z0-9\-_]+$/.test(format)) throw new HttpError(400, 'Invalid name or format in the draft path');
    if (!/^[0-9]{1,9}$/.test(versionText)) throw new HttpError(400, `A draft version is a non-negative integer, got '${versionText.slice(0, 32)}'`);
    const version = Number(versionText);
    allow(ctx.method, ['GET', 'PUT']);
    if (ctx.method === 'GET') {
      const d = await this.storage.getDraft(vendor, name, format, version);
      if (!d || !(d.isPublic || canRead(p, vendor))) throw new HttpError(404, NOT_FOUND_SCHEMA);
      return json(200, draftRepr(d));
    }
    const isPublic = boolParam(ctx.url.searchParams.get('isPublic'), 'isPublic', false);
    const body = await this.body(ctx);
    if (!canCreateSchema(p, vendor)) throw new HttpError(403, NOT_AUTHORIZED);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Cannot decode JSON schema', { details: 'the draft must be a JSON object' });
    const clean = { ...(body as Record<string, unknown>) };
    delete clean.self;
    delete clean.$schema;
    const issues = this.validator.checkSchema(clean);
    if (issues.length)
      throw new HttpError(400, 'The schema does not conform to a JSON Schema v4 specification', { report: issues.map((i) => ({ message: i.message, level: 'ERROR', pointer: '/' })) });
    const updated = await this.storage.putDraft(vendor, name, format, version, clean, isPublic);
    return json(updated ? 200 : 201, { message: updated ? 'Schema updated' : 'Schema created', updated, location: `${vendor}/${name}/${format}/${version}`, status: updated ? 200 : 201 });
  }

  // ---------------------------------------------------------------- /api/auth

  private async auth(ctx: Ctx, rest: string[]): Promise<Reply> {
    if (rest.length !== 1 || rest[0] !== 'keygen') throw new HttpError(404, NOT_FOUND_ENDPOINT);
    allow(ctx.method, ['POST', 'DELETE']);
    const p = await ctx.permission();
    if (ctx.method === 'DELETE') {
      if (!canDeleteKeys(p)) throw new HttpError(403, 'Not sufficient privileges to delete keys');
      const key = ctx.url.searchParams.get('key');
      if (!key || !UUID.test(key)) throw new HttpError(400, 'Query parameter key must be the UUID of the API key to revoke');
      const n = await this.storage.deleteKey(key);
      if (n === 0) throw new HttpError(404, 'The API key is not found');
      return message(200, 'Keys have been deleted');
    }
    if (!p.key.includes('CREATE')) throw new HttpError(403, 'Not sufficient privileges to create keys');
    let prefix = ctx.url.searchParams.get('vendor_prefix') ?? ctx.url.searchParams.get('vendorPrefix');
    if (prefix === null) {
      const body = await this.body(ctx);
      const v = body && typeof body === 'object' ? (body as { vendorPrefix?: unknown }).vendorPrefix : undefined;
      if (typeof v !== 'string') throw new HttpError(400, 'The body must be {"vendorPrefix": "<vendor prefix or *>"}');
      prefix = v;
    }
    const trimmed = prefix.trim();
    if (trimmed !== '' && trimmed !== '*' && !VENDOR_PATTERN.test(trimmed)) throw new HttpError(400, `Invalid vendor prefix '${trimmed.slice(0, 128)}'`);
    const scope = parseVendorScope(trimmed);
    if (!canCreateKeys(p, vendorScopeString(scope))) throw new HttpError(403, `Cannot create keys for ${scope.parts.length ? vendorScopeString(scope) : "'wildcard vendor'"} using your permissions`);
    const keys = { read: randomUUID(), write: randomUUID() };
    await this.storage.addKeyPair(keys.read, keys.write, scope);
    return json(200, keys);
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `Method ${method} is not allowed here; use ${methods.join(' or ')}`);
}

function validVendor(v: string): string {
  if (!VENDOR_PATTERN.test(v)) throw new HttpError(400, `Invalid vendor '${v.slice(0, 128)}'`);
  return v;
}

/** A name that cannot be a schema's is answered 400 here, not sent to Postgres (a NUL byte made it a 500). */
function validName(n: string): string {
  if (!NAME_PATTERN.test(n)) throw new HttpError(400, `Invalid name '${n.slice(0, 128)}'`);
  return n;
}

function pathKey(vendor: string, name: string, format: string, version: string): SchemaKey {
  try {
    return makeSchemaKey(vendor, name, format, version);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
}

function parseSupersedes(value: unknown, version: SchemaVer): SchemaVer[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && isSchemaVer(v)))
    throw new HttpError(400, '$supersedes must be an array of SchemaVer strings such as "1-0-2"');
  const vers = (value as string[]).map(parseSchemaVer);
  for (const v of vers)
    if (compareSchemaVer(v, version) >= 0) throw new HttpError(400, `$supersedes lists ${formatSchemaVer(v)}, which is not lower than ${formatSchemaVer(version)}`);
  return vers;
}

function supersedeFields(s: StoredSchema): Record<string, unknown> {
  return { ...(s.supersededBy ? { $supersededBy: s.supersededBy } : {}), ...(s.supersedes?.length ? { $supersedes: s.supersedes } : {}) };
}

export function represent(s: StoredSchema, repr: Repr): unknown {
  if (repr === 'uri') return schemaKeyToUri(s.key);
  if (repr === 'canonical') return { $schema: META_SCHEMA_URI, ...supersedeFields(s), self: schemaSelf(s.key), ...s.body };
  return {
    ...supersedeFields(s),
    self: schemaSelf(s.key),
    metadata: { createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(), isPublic: s.isPublic },
    ...s.body,
  };
}

function draftRepr(d: StoredDraft): unknown {
  return {
    self: { vendor: d.vendor, name: d.name, format: d.format, version: d.version },
    metadata: { createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), isPublic: d.isPublic },
    ...d.body,
  };
}

export interface RunningIgluServer {
  /** `http://127.0.0.1:8180` */
  url: string;
  /** What resolver configs point at: `${url}/api`. */
  apiUrl: string;
  port: number;
  server: IgluServer;
  storage: PostgresStorage;
  /** The Postgres URL in use (embedded or external). */
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface StartIgluServerOptions {
  logger?: pino.Logger;
  /** Create the tables if they are missing (the laptop pipeline); otherwise `setup` must have run. */
  autoSetup?: boolean;
}

/** Connect to (or start) Postgres, check the tables, and listen. */
export async function startIgluServer(config: IgluServerConfig, opts: StartIgluServerOptions = {}): Promise<RunningIgluServer> {
  const log = opts.logger ?? pino({ level: config.logLevel });
  const db = await openDatabase(config);
  const storage = new PostgresStorage(db.pool, config.database.schema);
  try {
    if (!(await storage.isSetUp())) {
      if (!opts.autoSetup) throw new Error(`the Iglu tables do not exist in schema '${config.database.schema}'; run \`furrow iglu-server setup --config FILE\` first`);
      await storage.setup();
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  const igluServer = new IgluServer(storage, config, log);
  const http: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, igluServer.listener);
  http.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    await db.close();
    if (err.code === 'EADDRINUSE') throw new Error(`port ${config.port} on ${config.host} is already in use`);
    throw err;
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/api`,
    port,
    server: igluServer,
    storage,
    databaseUrl: db.url,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await db.close();
      })();
      return stopped;
    },
  };
}

/** The pool for the configured database, starting the embedded Postgres when no URL is known. */
export async function openDatabase(config: IgluServerConfig): Promise<{ pool: pg.Pool; url: string; close(): Promise<void> }> {
  const url = config.database.url ?? process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dbUrl: string;
  if (url) dbUrl = url;
  else if (!config.database.embedded)
    throw new Error('no database: set igluServer.database.url (or DATABASE_URL), or igluServer.database.embedded=true to run the embedded Postgres');
  else {
    const { startPostgres } = await import('../../../emulator/postgres/index');
    const pgServer = await startPostgres({ port: config.database.embeddedPort, dataDir: config.database.embeddedDataDir, databaseUrl: undefined });
    dbUrl = pgServer.url;
    stopEmbedded = () => pgServer.stop();
  }
  const pool = new pg.Pool({ connectionString: dbUrl, max: config.database.poolSize, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {}); // a dropped idle connection is re-established on next use
  return {
    pool,
    url: dbUrl,
    async close() {
      await pool.end().catch(() => {});
      await stopEmbedded?.();
    },
  };
}
