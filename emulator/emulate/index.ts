/**
 * `npm run emulate`: the whole pipeline on a laptop. In this process: the AWS emulator, the embedded
 * Postgres, the Snowflake emulator and the Micro API; as supervised child processes (restarted when they
 * die): the Iglu Server, collector, enrich, the s3-loader (its raw, enriched and bad loaders in one
 * process), the transformer and the loader — the same apps, with the same config format, that run on AWS.
 */
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateStreamCommand, ResourceInUseException } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startEmulator } from '../aws/index';
import { startPostgres, type RunningPostgres } from '../postgres/index';
import { startSnowflakeEmulator, type RunningSnowflakeEmulator } from '../snowflake/index';
import { awsClients, emulatorSettings, type AwsClients } from '../../pipeline/streams/aws-clients';
import { resolverFromConfig } from '../../pipeline/iglu/resolver-config';
import { MicroStore } from '../micro/store';
import { MicroFeed } from '../micro/feed';
import { handleMicro } from '../micro/api';
import { Supervisor, type StageSpec } from './supervisor';
import { DEFAULT_PORTS, EMULATE_NAMES, emulatePipelineConfig, type EmulatePorts } from './pipeline-config';
import { SchemaDirectory } from './schemas';
import { postgresWarehouse, snowflakeWarehouse, type WarehouseReader } from './warehouse';
import { PROJECT_ROOT } from '../../pipeline/runtime/project';

export interface EmulateOptions {
  /** Where config, logs and emulate.json go; default `.furrow` in the working directory. */
  stateDir?: string;
  /** Keep AWS, Postgres and Snowflake state here so it survives restarts; default memory only. */
  dataDir?: string;
  warehouse?: 'snowflake' | 'postgres';
  /** User schemas to publish to the Iglu Server (watched for changes). */
  schemasDir?: string;
  /** Snowplow enrichment config files (self-describing JSON), as for Snowplow enrich. */
  enrichmentsDir?: string;
  /** Fixed ports; 0 for any free one (tests). Defaults are the contract's (collector 9090, ...). */
  ports?: Partial<Pick<EmulatePorts, 'collector' | 'aws' | 'iglu' | 'postgres' | 'snowflake'>>;
  /** Transformer window length; default 1 s so rows land within seconds. */
  windowSeconds?: number;
  /** Progress lines. */
  progress?: (line: string) => void;
  /** The collector's ackMode: `ack` answers 200 only once Kinesis has the record (default buffered). */
  collectorAckMode?: 'buffered' | 'ack';
}

export interface RunningEmulate {
  urls: { collector: string; micro: string; ui: string; aws: string; iglu: string; postgres: string; snowflake: string | null };
  igluApiKey: string;
  configFile: string;
  supervisor: Supervisor;
  store: MicroStore;
  warehouse: WarehouseReader;
  /** The embedded Postgres (Iglu tables, and atomic.events with `warehouse: 'postgres'`); `restart()` for fault tests. */
  postgres: RunningPostgres;
  startedInMs: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer().once('error', rej).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Fail early and clearly when a port is taken, before anything else starts. */
async function assertPortFree(port: number, what: string, flag: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    const s = createNetServer()
      .once('error', (err: NodeJS.ErrnoException) =>
        rej(new Error(err.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use${port === 9090 ? ' — is Snowplow Micro or another emulate running?' : ''}; choose another with ${flag}` : `cannot bind port ${port} (${what}): ${err.message}`)),
      )
      .listen(port, '127.0.0.1', () => s.close(() => res()));
  });
}

function loadEnrichments(dir: string | undefined): Record<string, unknown>[] {
  if (!dir) return [];
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const path = join(dir, f);
    try {
      out.push(JSON.parse(readFileSync(path, 'utf8')));
    } catch (err) {
      throw new Error(`--enrichments: ${path}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}

/** The streams, bucket, queue and dead-letter queue every stage expects (kept if they exist: `--data-dir`). */
async function createAwsResources(clients: AwsClients): Promise<void> {
  await Promise.all([
    ...Object.values(EMULATE_NAMES.streams).map((name) =>
      clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 })).catch((err) => {
        if (!(err instanceof ResourceInUseException)) throw err;
      }),
    ),
    clients.s3.send(new CreateBucketCommand({ Bucket: EMULATE_NAMES.names.bucket })).catch((err: Error) => {
      if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
    }),
    (async () => {
      const dlq = (await clients.sqs.send(new CreateQueueCommand({ QueueName: EMULATE_NAMES.deadLetterQueue, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
      const dlqArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: EMULATE_NAMES.names.queue,
          Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
        }),
      );
    })(),
  ]);
}

export async function startEmulate(opts: EmulateOptions = {}): Promise<RunningEmulate> {
  const t0 = Date.now();
  const say = opts.progress ?? (() => undefined);
  const stateDir = resolve(opts.stateDir ?? '.furrow');
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const warehouseKind = opts.warehouse ?? 'snowflake';
  mkdirSync(stateDir, { recursive: true });

  const fixed = { ...DEFAULT_PORTS, ...opts.ports };
  const flags: Record<string, string> = { collector: '--port', aws: '--aws-port', iglu: '--iglu-port', postgres: '--postgres-port', snowflake: '--snowflake-port' };
  for (const [k, v] of Object.entries(fixed)) if (v !== 0) await assertPortFree(v, k, flags[k]!);
  const pick = async (p: number) => (p === 0 ? freePort() : p);
  const ports: EmulatePorts = {
    collector: await pick(fixed.collector),
    aws: await pick(fixed.aws),
    iglu: await pick(fixed.iglu),
    postgres: await pick(fixed.postgres),
    snowflake: await pick(fixed.snowflake),
    micro: await freePort(),
    enrich: await freePort(),
    s3LoaderRaw: await freePort(),
    s3LoaderEnriched: await freePort(),
    s3LoaderBad: await freePort(),
    transformer: await freePort(),
    loader: await freePort(),
  };
  const enrichments = loadEnrichments(opts.enrichmentsDir);

  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    // Start-up is CPU-bound on two cores, so the order matters: the AWS emulator and its streams first (quick),
    // then the stages that need only AWS are spawned — while this process is still small, as forking it after
    // the databases have taken their ~1 GB costs ~0.2 s a child — and import their code while the two
    // embedded databases start here; the Iglu Server and the loader follow their database.
    say('starting the AWS emulator…');
    const aws = await startEmulator({ port: ports.aws, dataDir: dataDir && join(dataDir, 'aws') });
    cleanups.push(() => aws.stop());
    const clients: AwsClients = awsClients(emulatorSettings(aws.endpoint));
    cleanups.push(() => clients.destroy());
    await createAwsResources(clients);
    say(`  AWS emulator ${aws.endpoint}: streams raw, enriched, bad-1, bad-2; bucket furrow; queue furrow-loader.fifo (DLQ furrow-loader-dlq.fifo)`);

    // Known before the database starts, so every stage's config can be written now.
    const externalPostgres = process.env.DATABASE_URL || undefined;
    const postgresUrl = externalPostgres ?? `postgres://postgres@127.0.0.1:${ports.postgres}/postgres`;
    const igluApiKey = randomUUID();
    const pipeline = emulatePipelineConfig({ ports, postgresUrl, warehouse: warehouseKind, igluApiKey, enrichments, windowSeconds: opts.windowSeconds ?? 1, collectorAckMode: opts.collectorAckMode });
    const configFile = join(stateDir, 'pipeline.json');
    writeFileSync(configFile, JSON.stringify(pipeline, null, 2));

    const supervisor = new Supervisor({
      furrowBin: resolve(PROJECT_ROOT, 'bin', 'furrow.mjs'),
      logDir: join(stateDir, 'logs'),
      notify: say,
    });
    cleanups.push(() => supervisor.stop());
    const health = (port: number) => `http://127.0.0.1:${port}/health`;
    const c = ['--config', configFile];
    const ready: Promise<void>[] = [];
    const startStage = (spec: StageSpec) => {
      const p = supervisor.start(spec, 60_000).then(() => say(`  ${spec.name} ready (pid ${supervisor.pids()[spec.name]}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`));
      p.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
      ready.push(p);
    };
    say('starting the stages, Postgres and the Snowflake emulator…');
    startStage({ name: 'collector', args: ['collector', ...c], healthUrl: health(ports.collector) });
    startStage({ name: 'enrich', args: ['enrich', ...c], healthUrl: health(ports.enrich) });
    // One app, three streams: the three s3-loaders share one process.
    startStage({
      name: 's3-loader',
      args: ['s3-loader', ...c, '--purpose', 'raw,enriched,bad'],
      healthUrl: [ports.s3LoaderRaw, ports.s3LoaderEnriched, ports.s3LoaderBad].map(health),
    });
    startStage({ name: 'transformer', args: ['transformer', ...c], healthUrl: health(ports.transformer) });

    // Micro API, fed by the real enriched and bad streams.
    const store = new MicroStore();
    const feed = new MicroFeed({ kinesis: clients.kinesis, dynamodb: clients.dynamodb, store, enrichedStream: 'enriched', badStreams: ['bad-1', 'bad-2'] });
    const feedP = feed.start().then(() => void cleanups.push(() => feed.stop()));
    feedP.catch(() => undefined);

    // The two databases run their WASM on this thread, so one after the other. The Snowflake emulator first:
    // the loader behind it takes longer to start (snowflake-sdk) than the Iglu Server behind Postgres.
    let snowflakeEmu: RunningSnowflakeEmulator | null = null;
    if (warehouseKind === 'snowflake') {
      snowflakeEmu = await startSnowflakeEmulator({
        port: ports.snowflake,
        s3: { endpoint: aws.endpoint },
        dataDir: dataDir && join(dataDir, 'snowflake'),
        // A loader killed mid-load leaves its transaction open, and PGlite serves one at a time: roll it back soon.
        transactionIdleTimeoutMs: 10_000,
      });
      const sf = snowflakeEmu;
      cleanups.push(() => sf.stop());
      say(`  Snowflake emulator ${sf.url}`);
      startStage({ name: 'loader', args: ['loader', ...c], healthUrl: health(ports.loader) });
    }
    const postgres = await startPostgres({ port: ports.postgres, dataDir: dataDir && join(dataDir, 'postgres'), databaseUrl: externalPostgres });
    cleanups.push(() => postgres.stop());
    say(`  Postgres ${postgres.url}${postgres.embedded ? ' (embedded)' : ''}`);
    startStage({ name: 'iglu-server', args: ['iglu-server', ...c, '--auto-setup'], healthUrl: health(ports.iglu) });
    if (warehouseKind === 'postgres') startStage({ name: 'loader', args: ['loader', ...c], healthUrl: health(ports.loader) });
    await feedP;
    const warehouse = warehouseKind === 'snowflake' ? snowflakeWarehouse(snowflakeEmu!.url) : postgresWarehouse(postgres.url);
    cleanups.push(() => warehouse.close());
    // Made on the first /micro/iglu lookup: checking the resolver config compiles validators (~0.4 CPU-s).
    let resolver: ReturnType<typeof resolverFromConfig> | undefined;

    const micro: Server = createHttpServer((req, res) => {
      void handleMicro(req, res, {
        store,
        igluLookup: async (uri) => {
          resolver ??= resolverFromConfig((pipeline.enrich as { resolver: unknown }).resolver);
          const r = await resolver.lookupSchema(uri);
          return r.ok ? { schema: r.schema } : { error: r.error };
        },
        warehouseRow: (id) => warehouse.row(id),
        status: async () => [
          ...supervisor.status(),
          { name: 'micro-feed', state: 'ready', pid: process.pid, restarts: 0, detail: `${feed.millisBehindLatest()} ms behind` },
        ],
      }).then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not a /micro path"}');
      });
    });
    await new Promise<void>((r) => micro.listen(ports.micro, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => micro.close(() => r())));
    await Promise.all(ready);

    let schemas: SchemaDirectory | null = null;
    if (opts.schemasDir) {
      schemas = new SchemaDirectory(resolve(opts.schemasDir), `http://127.0.0.1:${ports.iglu}/api`, igluApiKey, say);
      const r = await schemas.sync();
      say(`  published ${r.published} schema(s) from ${opts.schemasDir}${r.problems.length ? `, ${r.problems.length} with problems (above)` : ''}; watching for changes`);
      schemas.watch();
      cleanups.push(() => schemas!.close());
    }

    const urls = {
      collector: `http://127.0.0.1:${ports.collector}`,
      micro: `http://127.0.0.1:${ports.collector}/micro/all`,
      ui: `http://127.0.0.1:${ports.collector}/micro/ui`,
      aws: aws.endpoint,
      iglu: `http://127.0.0.1:${ports.iglu}/api`,
      postgres: postgres.url,
      snowflake: snowflakeEmu ? (snowflakeEmu as RunningSnowflakeEmulator).url : null,
    };
    const writeState = () =>
      writeFileSync(
        join(stateDir, 'emulate.json'),
        JSON.stringify(
          {
            urls,
            igluApiKey,
            warehouse: warehouseKind,
            names: { streams: EMULATE_NAMES.streams, bucket: EMULATE_NAMES.names.bucket, queue: EMULATE_NAMES.names.queue, deadLetterQueue: EMULATE_NAMES.deadLetterQueue },
            configFile,
            pids: { emulate: process.pid, ...supervisor.pids() },
            startedAt: new Date(t0).toISOString(),
          },
          null,
          2,
        ),
      );
    writeState();
    // Keep the PIDs in emulate.json current when the supervisor restarts a stage.
    const pidTimer = setInterval(writeState, 1_000);
    pidTimer.unref();
    cleanups.push(() => clearInterval(pidTimer));

    return {
      urls,
      igluApiKey,
      configFile,
      supervisor,
      store,
      warehouse,
      postgres,
      startedInMs: Date.now() - t0,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
