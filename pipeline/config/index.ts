import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import type { AwsSettings } from '../streams/aws-clients';

/**
 * One pipeline config format for every app, on the laptop and on AWS (Vector-style: one section per
 * component). A file holds the shared `aws`, `streams` and `names` sections plus one section per app;
 * each app validates its own section with the schema it exports. `${VAR}` and `${VAR:-default}` in
 * string values are replaced from the environment, so secrets never need to be in the file.
 */
export interface PipelineConfig {
  aws: AwsSettings;
  /** Kinesis stream names. */
  streams: { raw: string; enriched: string; bad1: string; bad2: string };
  /** Other resource names. */
  names: { bucket: string; queue: string };
  /** App sections, validated by the apps themselves. */
  [section: string]: unknown;
}

export const DEFAULT_NAMES = {
  streams: { raw: 'raw', enriched: 'enriched', bad1: 'bad-1', bad2: 'bad-2' },
  names: { bucket: 'furrow', queue: 'furrow-loader.fifo' },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false });

/** Replace `${VAR}` / `${VAR:-default}` in every string of a parsed JSON value. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv = process.env, path = '$'): unknown {
  if (typeof value === 'string')
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      throw new ConfigError(`${path}: environment variable ${name} is not set and has no default`);
    });
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, `${path}.${k}`)]));
  return value;
}

/** Parse a config file's text (JSON) with env substitution and shared defaults. */
export function parsePipelineConfig(text: string, source = 'config', env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: the top level must be a JSON object`);
  const cfg = substituteEnv(raw, env) as Record<string, any>;
  const aws = { region: env.AWS_REGION ?? 'us-east-1', ...(cfg.aws ?? {}) } as AwsSettings;
  if (!aws.endpoint && env.AWS_ENDPOINT_URL) aws.endpoint = env.AWS_ENDPOINT_URL;
  return {
    ...cfg,
    aws,
    streams: { ...DEFAULT_NAMES.streams, ...(cfg.streams ?? {}) },
    names: { ...DEFAULT_NAMES.names, ...(cfg.names ?? {}) },
  };
}

export function loadPipelineConfig(file: string, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  return parsePipelineConfig(text, file, env);
}

function describe(errors: ErrorObject[] | null | undefined, section: string): string {
  const out: string[] = [];
  // The alternatives of a oneOf that failed, by field: `collector.workers: must be integer or must be "auto"`.
  const alternatives = new Map<string, string[]>();
  for (const e of errors ?? []) {
    const where = `${section}${e.instancePath.replace(/\//g, '.')}`;
    if (e.keyword === 'oneOf') continue;
    const text =
      e.keyword === 'additionalProperties' ? `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : e.keyword === 'const' ? `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`
      : (e.message ?? 'is invalid');
    if (!e.schemaPath.includes('/oneOf/')) {
      out.push(`${where}: ${text}`);
      continue;
    }
    const alt = alternatives.get(where);
    if (alt) alt.push(text);
    else {
      alternatives.set(where, [text]);
      out.push(where); // placeholder, filled below
    }
  }
  return out.map((line) => (alternatives.has(line) ? `${line}: ${alternatives.get(line)!.join(' or ')}` : line)).join('; ');
}

/**
 * Validate one app's section against its schema (filling defaults) and return it typed. Missing section
 * means all defaults. Errors name the field: `collector.port: must be integer`.
 */
export function section<T>(config: PipelineConfig, name: string, schema: JSONSchemaType<T> | object): T {
  const validate = ajv.compile<T>(schema);
  const value = structuredClone((config[name] ?? {}) as object);
  if (!validate(value)) throw new ConfigError(`invalid config: ${describe(validate.errors, name)}`);
  return value as T;
}
