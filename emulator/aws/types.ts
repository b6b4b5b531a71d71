import type { IncomingHttpHeaders } from 'node:http';
import type { Journal } from './journal';

export type ServiceName = 'kinesis' | 'sqs' | 'dynamodb' | 's3';

/** One HTTP request as the edge hands it to a service (HTTP/1.1 and h2c look the same here). */
export interface EdgeRequest {
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  /** Parsed query string. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Aborted when the client goes away (long polls stop waiting). */
  signal: AbortSignal;
}

export interface EdgeResponse {
  status: number;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
}

/** A JSON service's answer already serialised (Kinesis GetRecords builds its bytes from stored records). */
export class RawJson {
  constructor(readonly bytes: Buffer) {}
}

/** What the edge gives every service. */
export interface ServiceContext {
  readonly region: string;
  readonly accountId: string;
  /** The edge's base URL, e.g. `http://127.0.0.1:4566` (SQS queue URLs are built from it). */
  endpoint(): string;
  /** The journal for `name` when the emulator persists (`--data-dir`), otherwise null (memory only). */
  journal<R>(name: string): Journal<R> | null;
  /** The `--data-dir` the journals live in when the emulator persists, otherwise null (S3 keeps object bodies there). */
  dataDir?(): string | null;
  /** Milliseconds since the epoch; one place so tests can reason about time. */
  now(): number;
}

/** A service spoken as JSON over POST with `X-Amz-Target: <prefix>.<Operation>` (Kinesis, SQS, DynamoDB). */
export interface JsonService {
  readonly name: 'kinesis' | 'sqs' | 'dynamodb';
  /** Returns the JSON output object, or throws `AwsError`. May be async (SQS long polling). */
  handle(operation: string, input: any, req: EdgeRequest): unknown;
  /**
   * Optional fast path over the raw (ASCII) body, tried before it is parsed: the output object, or undefined
   * to have the edge parse the body and call `handle`. Must answer exactly as `handle` would.
   */
  handleRaw?(operation: string, body: Buffer): unknown;
  /** Rewrite journals from snapshots, stop timers. */
  close?(): void;
}

/** A REST service (S3): the service names the operation so faults can match it, then answers. */
export interface RestService {
  readonly name: 's3';
  operation(req: EdgeRequest): string;
  handle(operation: string, req: EdgeRequest): EdgeResponse | Promise<EdgeResponse>;
  close?(): void;
}
