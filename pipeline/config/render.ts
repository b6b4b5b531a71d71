/**
 * `furrow config render`: one pipeline config format for the laptop and for AWS ("promoted unchanged").
 *
 * The input is Terraform's `terraform output -json` (or the same keys as a plain object, which is what the
 * EC2 modules write to `/etc/furrow/deployment.json` at boot); the output is the pipeline config that
 * `pipeline/config` loads: shared `aws` / `streams` / `names` sections and one section per app, each of
 * which the app validates with its own schema. The AWS target has no endpoint and no credentials (the
 * instance role is used) and carries secrets only as `${ENV}` placeholders, which the instance's launcher
 * exports after reading them from Secrets Manager. The emulator target is the same document with loopback
 * endpoints and Furrow's default names.
 */
import { collectorConfig } from '../collector/config';
import { enrichConfig } from '../enrich/config';
import { parseResolverConfig } from '../iglu/resolver-config';
import { CORE_SCHEMAS_PATH } from '../iglu/repositories';
import { igluServerSection } from '../iglu/server/config';
import { loaderConfig } from '../loader/config';
import { s3LoaderConfig } from '../s3-loader/config';
import { transformerConfig } from '../transformer/config';
import { ConfigError, DEFAULT_NAMES, parsePipelineConfig, type PipelineConfig } from './index';

export type RenderTarget = 'aws' | 'emulator';

export const RENDER_APPS = ['collector', 'enrich', 'iglu-server', 's3-loader-raw', 's3-loader-enriched', 's3-loader-bad', 'transformer', 'loader'] as const;
export type RenderApp = (typeof RENDER_APPS)[number];

/** Environment variables the launcher on each instance fills from Secrets Manager (never written to a file). */
export const SECRET_ENV = {
  igluApiKey: 'IGLU_API_KEY',
  igluSuperApiKey: 'IGLU_SUPER_API_KEY',
  igluDbPassword: 'IGLU_DB_PASSWORD',
  snowflakePassword: 'SNOWFLAKE_PASSWORD',
} as const;

/** Loopback endpoints of `furrow emulate` (architecture.md, "Contract"). */
export const EMULATOR_ENDPOINTS = {
  aws: 'http://127.0.0.1:4566',
  collectorPort: 9090,
  igluApi: 'http://127.0.0.1:8180/api',
  igluPort: 8180,
  snowflake: 'http://127.0.0.1:8085',
  postgres: 'postgres://postgres@127.0.0.1:5433/postgres',
} as const;

/** Ports on AWS: the load-balanced apps listen on 8080 (the ALB target port); the others serve /health on loopback. */
export const AWS_DEFAULT_PORTS = { collector: 8080, igluServer: 8080, health: 8000 } as const;

/**
 * Every key the renderer reads, with what it means. The quick start's `outputs.tf` declares these names
 * (plus informational ones listed in INFORMATIONAL_KEYS); the EC2 modules write a subset of them.
 */
export const OUTPUT_KEYS = {
  aws_region: 'AWS region of every resource',
  raw_stream_name: 'Kinesis stream: collector → enrich',
  enriched_stream_name: 'Kinesis stream: enrich → transformer and the enriched S3 loader',
  bad_1_stream_name: 'Kinesis stream: bad rows of collector and enrich',
  bad_2_stream_name: 'Kinesis stream: failures of the S3 loaders',
  bucket_name: 'S3 bucket with the raw/, enriched/, bad/ and transformed/ prefixes',
  queue_name: 'SQS FIFO queue: transformer → loader (shredding_complete)',
  collector_port: 'port the collector listens on (the ALB target port)',
  iglu_server_url: 'base URL of the Iglu Server load balancer, without /api',
  iglu_server_port: 'port the Iglu Server listens on (the ALB target port)',
  iglu_db_address: 'Iglu Server Postgres host',
  iglu_db_port: 'Iglu Server Postgres port',
  iglu_db_name: 'Iglu Server Postgres database',
  iglu_db_username: 'Iglu Server Postgres user (the password comes from Secrets Manager)',
  enrich_lease_table: 'DynamoDB lease table of enrich',
  s3_loader_raw_lease_table: 'DynamoDB lease table of the raw S3 loader (empty string: not deployed)',
  s3_loader_enriched_lease_table: 'DynamoDB lease table of the enriched S3 loader',
  s3_loader_bad_lease_table: 'DynamoDB lease table of the bad S3 loader',
  transformer_lease_table: 'DynamoDB lease table of the transformer',
  transformer_window_period_min: 'transformer window length in minutes',
  snowflake_account: 'Snowflake account identifier',
  snowflake_region: 'Snowflake region',
  snowflake_warehouse: 'Snowflake warehouse the loader uses',
  snowflake_database: 'Snowflake database',
  snowflake_schema: 'Snowflake schema holding events',
  snowflake_loader_user: 'Snowflake user of the loader (the password comes from Secrets Manager)',
  snowflake_role: 'Snowflake role of the loader (optional)',
  snowflake_storage_integration: 'Snowflake storage integration that reads transformed/ through the stage role (optional)',
  health_port: 'loopback port for /health and /metrics of an app without a load balancer',
  config_overrides: 'object: app name → fields (or a list of such objects) deep-merged into that app section',
} as const;
export type OutputKey = keyof typeof OUTPUT_KEYS;

/** Outputs the quick start declares for people, not for the renderer (load balancer names, secret ARNs). */
export const INFORMATIONAL_KEYS = [
  'collector_dns_name',
  'iglu_server_dns_name',
  'iglu_super_api_key_secret_arn',
  'iglu_db_password_secret_arn',
  'snowflake_password_secret_arn',
  'snowflake_stage_role_arn',
] as const;

export type Outputs = Partial<Record<OutputKey, unknown>>;

export interface ReadOutputsResult {
  outputs: Outputs;
  /** Keys neither read nor informational: probably a typo or a newer outputs.tf. */
  unknown: string[];
}

/**
 * Accept `terraform output -json` (`{"k": {"value": v, "type": …, "sensitive": …}}`) or a plain `{"k": v}`.
 * Sensitive outputs are refused: secrets reach instances through Secrets Manager, never through a config.
 */
export function readOutputs(json: unknown): ReadOutputsResult {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('terraform outputs: expected a JSON object');
  const outputs: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    const wrapped = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw && ('type' in raw || 'sensitive' in raw);
    if (wrapped && (raw as { sensitive?: unknown }).sensitive === true)
      throw new ConfigError(`terraform outputs: '${key}' is sensitive; pass secrets through Secrets Manager, not the config`);
    const value = wrapped ? (raw as { value: unknown }).value : raw;
    if (key in OUTPUT_KEYS) outputs[key] = value;
    else if (!(INFORMATIONAL_KEYS as readonly string[]).includes(key)) unknown.push(key);
  }
  return { outputs: outputs as Outputs, unknown };
}

class OutputReader {
  constructor(
    private readonly target: RenderTarget,
    private readonly outputs: Outputs,
    private readonly app: string,
  ) {}

  has(key: OutputKey): boolean {
    const v = this.outputs[key];
    return v !== undefined && v !== null && v !== '';
  }

  /** A required string output. */
  str(key: OutputKey): string {
    const v = this.outputs[key];
    if (v === undefined || v === null || v === '')
      throw new ConfigError(`terraform outputs: '${key}' (${OUTPUT_KEYS[key]}) is required to render ${this.app} for ${this.target}`);
    if (typeof v !== 'string') throw new ConfigError(`terraform outputs: '${key}' must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** An optional string output. */
  opt(key: OutputKey, fallback: string): string {
    return this.has(key) ? this.str(key) : fallback;
  }

  /** Required on AWS; the emulator's default otherwise. */
  need(key: OutputKey, emulatorDefault: string): string {
    return this.target === 'emulator' ? this.opt(key, emulatorDefault) : this.str(key);
  }

  int(key: OutputKey, fallback: number): number {
    const v = this.outputs[key];
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ConfigError(`terraform outputs: '${key}' must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Objects merge key by key; anything else in `over` replaces. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}

const PURPOSE_OF: Record<string, 'raw' | 'enriched' | 'bad'> = { 's3-loader-raw': 'raw', 's3-loader-enriched': 'enriched', 's3-loader-bad': 'bad' };

/** Where an app's section lives in the pipeline config (`s3Loader.raw` is nested). */
export function sectionPath(app: RenderApp): string[] {
  if (app in PURPOSE_OF) return ['s3Loader', PURPOSE_OF[app]!];
  return [{ collector: 'collector', enrich: 'enrich', 'iglu-server': 'igluServer', transformer: 'transformer', loader: 'loader' }[app as string]!];
}

/** The streams and names an app reads, so a per-app file carries only what that app uses. */
const USES: Record<RenderApp, { streams: Array<keyof PipelineConfig['streams']>; names: Array<keyof PipelineConfig['names']> }> = {
  collector: { streams: ['raw', 'bad1'], names: [] },
  enrich: { streams: ['raw', 'enriched', 'bad1'], names: [] },
  'iglu-server': { streams: [], names: [] },
  's3-loader-raw': { streams: ['raw', 'bad2'], names: ['bucket'] },
  's3-loader-enriched': { streams: ['enriched', 'bad2'], names: ['bucket'] },
  's3-loader-bad': { streams: ['bad1', 'bad2'], names: ['bucket'] },
  transformer: { streams: ['enriched'], names: ['bucket', 'queue'] },
  loader: { streams: [], names: ['bucket', 'queue'] },
};

const STREAM_KEYS = { raw: 'raw_stream_name', enriched: 'enriched_stream_name', bad1: 'bad_1_stream_name', bad2: 'bad_2_stream_name' } as const;
const NAME_KEYS = { bucket: 'bucket_name', queue: 'queue_name' } as const;
const LEASE_KEYS = { raw: 's3_loader_raw_lease_table', enriched: 's3_loader_enriched_lease_table', bad: 's3_loader_bad_lease_table' } as const;

function resolverFor(target: RenderTarget, r: OutputReader): Json {
  const repositories: Json[] = [{ name: 'Furrow core schemas', priority: 0, vendorPrefixes: [], connection: { embedded: { path: CORE_SCHEMAS_PATH } } }];
  if (target === 'emulator') {
    repositories.push({ name: 'Iglu Server', priority: 0, vendorPrefixes: [], connection: { http: { uri: EMULATOR_ENDPOINTS.igluApi } } });
  } else {
    if (r.has('iglu_server_url')) {
      const base = r.str('iglu_server_url').replace(/\/+$/, '').replace(/\/api$/, '');
      // The quick start resolves through its own Iglu Server first (priority 0), then Iglu Central and its mirror.
      repositories.push({ name: 'Iglu Server', priority: 0, vendorPrefixes: [], connection: { http: { uri: `${base}/api`, apikey: `\${${SECRET_ENV.igluApiKey}:-}` } } });
    }
    repositories.push(
      { name: 'Iglu Central', priority: 10, vendorPrefixes: [], connection: { http: { uri: 'http://iglucentral.com' } } },
      { name: 'Iglu Central - Mirror 01', priority: 20, vendorPrefixes: [], connection: { http: { uri: 'http://mirror01.iglucentral.com' } } },
    );
  }
  return { schema: 'iglu:com.snowplowanalytics.iglu/resolver-config/jsonschema/1-0-3', data: { cacheSize: 500, cacheTtl: 600, repositories } };
}

function appSection(app: RenderApp, target: RenderTarget, r: OutputReader, shared: { bucket: string }): Json {
  const aws = target === 'aws';
  const healthPort = aws ? r.int('health_port', AWS_DEFAULT_PORTS.health) : 0;
  switch (app) {
    case 'collector':
      return aws
        ? // Behind the ALB: listen on every interface, keep answering while the target deregisters.
          { interface: '0.0.0.0', port: r.int('collector_port', AWS_DEFAULT_PORTS.collector), preTerminationPeriodMs: 10_000 }
        : { interface: '127.0.0.1', port: EMULATOR_ENDPOINTS.collectorPort };
    case 'enrich': {
      const s: Json = { applicationName: r.need('enrich_lease_table', 'furrow-enrich'), resolver: resolverFor(target, r) };
      // Only once the enrich section accepts a health port (see report); until then enrich runs without one.
      if (enrichAcceptsPort()) Object.assign(s, { host: '127.0.0.1', port: healthPort });
      return s;
    }
    case 'iglu-server': {
      if (!aws)
        return {
          host: '127.0.0.1',
          port: EMULATOR_ENDPOINTS.igluPort,
          database: { url: `\${IGLU_DATABASE_URL:-${EMULATOR_ENDPOINTS.postgres}}` },
          // Loopback only; `furrow emulate` may hand out its own key through the environment.
          superApiKey: `\${${SECRET_ENV.igluSuperApiKey}:-00000000-0000-4000-8000-000000000000}`,
          patchesAllowed: true,
        };
      const host = r.str('iglu_db_address');
      const port = r.int('iglu_db_port', 5432);
      const user = encodeURIComponent(r.str('iglu_db_username'));
      const db = encodeURIComponent(r.str('iglu_db_name'));
      return {
        host: '0.0.0.0',
        port: r.int('iglu_server_port', AWS_DEFAULT_PORTS.igluServer),
        database: { url: `postgres://${user}:\${${SECRET_ENV.igluDbPassword}}@${host}:${port}/${db}`, schema: 'public' },
        superApiKey: `\${${SECRET_ENV.igluSuperApiKey}}`,
        // Iglu Server's quick start default (spec 6.3): schemas can be patched while a tracking plan settles.
        patchesAllowed: true,
      };
    }
    case 's3-loader-raw':
    case 's3-loader-enriched':
    case 's3-loader-bad': {
      const purpose = PURPOSE_OF[app]!;
      return {
        input: { applicationName: r.need(LEASE_KEYS[purpose], `furrow-s3-loader-${purpose}`) },
        // Fixed prefixes: the IAM policy of each loader grants exactly `<purpose>/*`.
        output: { path: `s3://${shared.bucket}/${purpose}/` },
        host: '127.0.0.1',
        port: healthPort,
      };
    }
    case 'transformer': {
      const minutes = r.int('transformer_window_period_min', 5);
      return {
        input: { applicationName: r.need('transformer_lease_table', 'furrow-transformer') },
        output: { path: `s3://${shared.bucket}/transformed/` },
        // Minutes on AWS (quick start default 5); seconds on a laptop so a window closes while you watch.
        windowSeconds: aws ? minutes * 60 : 10,
        host: '127.0.0.1',
        port: healthPort,
      };
    }
    case 'loader': {
      const stageUrl = `s3://${shared.bucket}/transformed/`;
      if (!aws)
        return {
          target: {
            type: 'snowflake',
            account: 'furrow',
            username: 'furrow',
            password: `\${${SECRET_ENV.snowflakePassword}:-furrow}`,
            accessUrl: EMULATOR_ENDPOINTS.snowflake,
            warehouse: 'furrow',
            database: 'furrow',
            schema: 'atomic',
            stageUrl,
          },
          host: '127.0.0.1',
          port: 0,
        };
      const target: Json = {
        type: 'snowflake',
        account: r.str('snowflake_account'),
        username: r.str('snowflake_loader_user'),
        password: `\${${SECRET_ENV.snowflakePassword}}`,
        warehouse: r.str('snowflake_warehouse'),
        database: r.str('snowflake_database'),
        schema: r.str('snowflake_schema'),
      };
      if (r.has('snowflake_region')) target.region = r.str('snowflake_region');
      if (r.has('snowflake_role')) target.role = r.str('snowflake_role');
      // A private bucket is readable by Snowflake only through a storage integration (which trusts the module's
      // stage role); without one the stage must already exist.
      if (r.has('snowflake_storage_integration')) Object.assign(target, { stageUrl, storageIntegration: r.str('snowflake_storage_integration') });
      return { target, host: '127.0.0.1', port: healthPort };
    }
  }
}

let enrichPortCache: boolean | undefined;
/** Whether the enrich section has `port` (enrich's health server is being written alongside this). */
export function enrichAcceptsPort(): boolean {
  if (enrichPortCache === undefined) {
    try {
      enrichConfig({ ...parsePipelineConfig('{}', 'probe', {}), enrich: { port: 0 } });
      enrichPortCache = true;
    } catch {
      enrichPortCache = false;
    }
  }
  return enrichPortCache;
}

export interface RenderOptions {
  /** Only this app's section (and the shared values it reads); default every app. */
  app?: RenderApp;
}

/** Render the pipeline config (a JSON document with `${ENV}` placeholders for secrets). */
export function renderPipelineConfig(target: RenderTarget, outputs: Outputs, opts: RenderOptions = {}): Json {
  // A whole-pipeline render leaves out an S3 loader the deployment switched off (its lease table output is
  // present but empty, as the quick start's `s3_loader_raw_enabled = false` makes it).
  const apps: readonly RenderApp[] = opts.app
    ? [opts.app]
    : RENDER_APPS.filter((a) => !(a in PURPOSE_OF && outputs[LEASE_KEYS[PURPOSE_OF[a]!]] === ''));
  const label = opts.app ?? 'the pipeline';
  const r = new OutputReader(target, outputs, label);
  // Canonical order (raw, enriched, bad1, bad2; bucket, queue), whatever order the apps list them in.
  const streamKeys = (Object.keys(STREAM_KEYS) as Array<keyof typeof STREAM_KEYS>).filter((k) => apps.some((a) => USES[a].streams.includes(k)));
  const nameKeys = (Object.keys(NAME_KEYS) as Array<keyof typeof NAME_KEYS>).filter((k) => apps.some((a) => USES[a].names.includes(k)));
  const streams: Json = {};
  for (const k of streamKeys) streams[k] = r.need(STREAM_KEYS[k], DEFAULT_NAMES.streams[k]);
  const names: Json = {};
  for (const k of nameKeys) names[k] = r.need(NAME_KEYS[k], DEFAULT_NAMES.names[k]);
  const bucket = (names.bucket as string | undefined) ?? DEFAULT_NAMES.names.bucket;
  const aws =
    target === 'aws'
      ? { region: r.str('aws_region') }
      : { region: r.opt('aws_region', 'us-east-1'), endpoint: EMULATOR_ENDPOINTS.aws, credentials: { accessKeyId: 'furrow', secretAccessKey: 'furrow' } };
  const config: Json = { aws, streams, names };
  const overrides = outputs.config_overrides;
  if (overrides !== undefined && overrides !== null && !isObject(overrides))
    throw new ConfigError(`terraform outputs: 'config_overrides' must be an object of app name → section fields`);
  const layers = new Map<string, Json[]>();
  for (const [name, v] of Object.entries((overrides as Json | undefined) ?? {})) {
    if (!(RENDER_APPS as readonly string[]).includes(name)) throw new ConfigError(`terraform outputs: config_overrides: unknown app '${name}' (one of ${RENDER_APPS.join(', ')})`);
    // One object, or a list applied in order (a module's own settings, then the user's overrides).
    const list = Array.isArray(v) ? v : [v];
    if (!list.every(isObject)) throw new ConfigError(`terraform outputs: config_overrides.${name} must be an object or a list of objects`);
    layers.set(name, list as Json[]);
  }
  for (const app of apps) {
    let s = appSection(app, target, r, { bucket });
    for (const layer of layers.get(app) ?? []) s = deepMerge(s, layer);
    const [top, sub] = sectionPath(app);
    if (sub) config[top!] = { ...((config[top!] as Json | undefined) ?? {}), [sub]: s };
    else config[top!] = s;
  }
  return config;
}

/** Every `${VAR}` / `${VAR:-default}` name in a rendered document, with whether it has a default. */
export function placeholders(value: unknown, out = new Map<string, boolean>()): Map<string, boolean> {
  if (typeof value === 'string') for (const m of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) out.set(m[1]!, (out.get(m[1]!) ?? false) || m[2] !== undefined);
  else if (Array.isArray(value)) for (const v of value) placeholders(v, out);
  else if (isObject(value)) for (const v of Object.values(value)) placeholders(v, out);
  return out;
}

/**
 * Validate the rendered sections with the apps' own config functions, after substituting `env` (default: a
 * stand-in value for every placeholder, so a config can be checked where the secrets are not available).
 * Returns the apps whose sections were checked; throws the app's ConfigError naming the field otherwise.
 */
export function validateRendered(config: Json, env?: NodeJS.ProcessEnv): RenderApp[] {
  const stand = env ?? Object.fromEntries([...placeholders(config).keys()].map((k) => [k, '00000000-0000-4000-8000-000000000000']));
  const pipeline = parsePipelineConfig(JSON.stringify(config), 'rendered config', stand);
  const checked: RenderApp[] = [];
  const present = (app: RenderApp) => {
    const [top, sub] = sectionPath(app);
    const v = pipeline[top!];
    return sub ? isObject(v) && sub in v : v !== undefined;
  };
  for (const app of RENDER_APPS) {
    if (!present(app)) continue;
    switch (app) {
      case 'collector':
        collectorConfig(pipeline);
        break;
      case 'enrich': {
        const e = enrichConfig(pipeline);
        if (isObject(e.resolver)) parseResolverConfig(e.resolver);
        break;
      }
      case 'iglu-server':
        igluServerSection(pipeline);
        break;
      case 's3-loader-raw':
      case 's3-loader-enriched':
      case 's3-loader-bad':
        s3LoaderConfig(pipeline, PURPOSE_OF[app]!);
        break;
      case 'transformer':
        transformerConfig(pipeline);
        break;
      case 'loader':
        loaderConfig(pipeline);
        break;
    }
    checked.push(app);
  }
  return checked;
}

export function isRenderApp(name: string): name is RenderApp {
  return (RENDER_APPS as readonly string[]).includes(name);
}
