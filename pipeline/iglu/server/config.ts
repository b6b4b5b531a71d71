/**
 * The `igluServer` section of the pipeline config (Iglu Server 0.14.0's knobs, spec 4.3, in Furrow's
 * JSON config; `${VAR}` is substituted by the loader, e.g. `"superApiKey": "${IGLU_SUPER_API_KEY}"`).
 */
import { loadPipelineConfig, section, type PipelineConfig } from '../../config/index';

export interface IgluServerConfig {
  /** Address to bind; 127.0.0.1 on a laptop, 0.0.0.0 behind a load balancer. */
  host: string;
  /** 8180 in `furrow emulate`; 0 picks a free port. */
  port: number;
  database: {
    /** Postgres URL; unset = `$DATABASE_URL`. */
    url?: string;
    /** With no URL, run the embedded Postgres in this process (laptop only; never silently in production). */
    embedded: boolean;
    /** Postgres schema holding the Iglu tables. */
    schema: string;
    /** Connection pool size (Iglu Server: hikari maximumPoolSize 5). */
    poolSize: number;
    /** Embedded Postgres port when no URL is given (5433; 0 = free port). */
    embeddedPort: number;
    /** Keep the embedded database here (default: in memory). */
    embeddedDataDir?: string;
  };
  /** Allow overwriting an existing version and DELETE (Iglu Server default false). */
  patchesAllowed: boolean;
  /** Admin key (a UUID): every permission, including keygen. Null disables it. */
  superApiKey: string | null;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  /** Deepest JSON nesting accepted in a published schema. */
  maxJsonDepth: number;
  /** Enable `GET /api/debug` (lists stored rows; never in production). */
  debug: boolean;
  /** Called after a schema is written (`{uri, vendorPrefixes?, usePost?}`). */
  webhooks: Array<{ uri: string; vendorPrefixes?: string[]; usePost?: boolean }>;
  /** pino level. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const igluServerConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8180 },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', minLength: 1 },
        embedded: { type: 'boolean', default: false },
        schema: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,62}$', default: 'public' },
        poolSize: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
        embeddedPort: { type: 'integer', minimum: 0, maximum: 65535, default: 5433 },
        embeddedDataDir: { type: 'string' },
      },
    },
    patchesAllowed: { type: 'boolean', default: false },
    superApiKey: { anyOf: [{ type: 'string', pattern: UUID }, { type: 'null' }], default: null },
    maxBodyBytes: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 },
    maxJsonDepth: { type: 'integer', minimum: 2, maximum: 1000, default: 40 },
    debug: { type: 'boolean', default: false },
    webhooks: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['uri'],
        properties: { uri: { type: 'string', pattern: '^https?://' }, vendorPrefixes: { type: 'array', items: { type: 'string' } }, usePost: { type: 'boolean' } },
      },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  },
} as const;

export function igluServerSection(config: PipelineConfig): IgluServerConfig {
  return section<IgluServerConfig>(config, 'igluServer', igluServerConfigSchema);
}

export function loadIgluServerConfig(file: string): IgluServerConfig {
  return igluServerSection(loadPipelineConfig(file));
}

/** Defaults with overrides, for tests and embedding. */
export function igluServerConfig(overrides: Partial<Omit<IgluServerConfig, 'database'>> & { database?: Partial<IgluServerConfig['database']> } = {}): IgluServerConfig {
  return igluServerSection({ igluServer: overrides } as unknown as PipelineConfig);
}
