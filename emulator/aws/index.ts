import { Journal } from './journal';
import { Edge } from './edge';
import { FaultInjector, type FaultRule } from './faults';
import { KinesisService, type KinesisOptions } from './kinesis';
import { SqsService, type SqsOptions } from './sqs';
import { DynamoDbService } from './dynamodb';
import { S3Service } from './s3';
import type { ServiceContext } from './types';

export { AwsError } from './errors';
export type { FaultRule } from './faults';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4566; 0 picks a free port (tests). */
  port?: number;
  /** Persist every acknowledged mutation here; without it state lives in memory only. */
  dataDir?: string;
  /** Region reported in ARNs and queue URLs. Default us-east-1. */
  region?: string;
  /** Account id in ARNs and queue URLs. Default 000000000000. */
  accountId?: string;
  /** Kinesis options, e.g. `{ strict: true }` to enforce AWS's per-shard limits. */
  kinesis?: KinesisOptions;
  /** SQS options, e.g. a shorter FIFO deduplication window for tests. */
  sqs?: SqsOptions;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Where handler crashes (emulator bugs) are reported; default stderr. */
  onInternalError?: (err: unknown, service: string, operation: string) => void;
}

export interface RunningEmulator {
  /** Base URL for every SDK client's `endpoint`, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  readonly port: number;
  readonly host: string;
  readonly region: string;
  readonly faults: FaultInjector;
  readonly edge: Edge;
  stop(): Promise<void>;
}

/** Start the AWS emulator (Kinesis, SQS, DynamoDB and S3 on one port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const journals: Journal<unknown>[] = [];
  let endpoint = '';
  const ctx: ServiceContext = {
    region,
    accountId: options.accountId ?? '000000000000',
    endpoint: () => endpoint,
    journal<R>(name: string) {
      if (!options.dataDir) return null;
      const j = new Journal<R>(options.dataDir, name);
      journals.push(j as Journal<unknown>);
      return j;
    },
    dataDir: () => options.dataDir ?? null,
    now: () => Date.now(),
  };
  const kinesis = new KinesisService(ctx, options.kinesis ?? {});
  const sqs = new SqsService(ctx, options.sqs ?? {});
  const dynamodb = new DynamoDbService(ctx);
  const s3 = new S3Service(ctx);
  const faults = new FaultInjector(options.faults ?? []);
  const edge = new Edge({
    json: { kinesis, sqs, dynamodb },
    s3,
    faults,
    onInternalError:
      options.onInternalError ??
      ((err, service, op) => process.stderr.write(`furrow emulator: internal error in ${service}.${op}: ${(err as Error)?.stack ?? err}\n`)),
  });
  const port = await edge.listen(options.port ?? 4566, host);
  endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopped = false;
  return {
    endpoint,
    port,
    host,
    region,
    faults,
    edge,
    async stop() {
      if (stopped) return;
      stopped = true;
      await edge.close();
      for (const s of [kinesis, sqs, dynamodb, s3] as { close?(): void }[]) s.close?.();
      for (const j of journals) j.close();
    },
  };
}
