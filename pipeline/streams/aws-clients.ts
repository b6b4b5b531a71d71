import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * How every Furrow app reaches AWS. The same code talks to the emulator and to AWS; only these settings
 * differ. On AWS leave `endpoint` and `credentials` unset (instance role, default chain).
 */
export interface AwsSettings {
  region: string;
  /** e.g. `http://127.0.0.1:4566` for the emulator; unset on AWS. `AWS_ENDPOINT_URL` is honoured too. */
  endpoint?: string;
  /** Static credentials (the emulator accepts anything); unset on AWS. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK retry attempts (default 3, the SDK's own). Tests of failure paths set 1. */
  maxAttempts?: number;
  /** Per-request socket timeout in ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Max sockets per client (default 50). */
  maxSockets?: number;
}

export interface AwsClients {
  kinesis: KinesisClient;
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  destroy(): void;
}

/** Default settings for the local emulator: loopback endpoint, dummy credentials. */
export function emulatorSettings(endpoint: string, overrides: Partial<AwsSettings> = {}): AwsSettings {
  return { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'furrow', secretAccessKey: 'furrow' }, ...overrides };
}

/**
 * HTTP/1.1 keep-alive handler. Kinesis's client defaults to HTTP/2; AWS accepts HTTP/1.1 as well, and a
 * plain handler keeps every client on one well-understood transport (and lets us bound sockets).
 */
export function httpHandler(settings: AwsSettings): NodeHttpHandler {
  const maxSockets = settings.maxSockets ?? 50;
  return new NodeHttpHandler({
    httpAgent: new Agent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    connectionTimeout: 5_000,
  });
}

function common(settings: AwsSettings) {
  const endpoint = settings.endpoint ?? process.env.AWS_ENDPOINT_URL;
  return {
    region: settings.region,
    ...(endpoint ? { endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}),
    requestHandler: httpHandler(settings),
  };
}

export function kinesisClient(settings: AwsSettings): KinesisClient {
  return new KinesisClient(common(settings));
}

export function sqsClient(settings: AwsSettings): SQSClient {
  return new SQSClient(common(settings));
}

export function s3Client(settings: AwsSettings): S3Client {
  const c = common(settings);
  // Path style for loopback endpoints (bucket.localhost does not resolve everywhere); AWS itself accepts both.
  return new S3Client({ ...c, forcePathStyle: Boolean(c.endpoint) });
}

export function dynamoDbClient(settings: AwsSettings): DynamoDBClient {
  return new DynamoDBClient(common(settings));
}

export function awsClients(settings: AwsSettings): AwsClients {
  const clients = {
    kinesis: kinesisClient(settings),
    sqs: sqsClient(settings),
    s3: s3Client(settings),
    dynamodb: dynamoDbClient(settings),
  };
  return {
    ...clients,
    destroy() {
      for (const c of Object.values(clients)) c.destroy();
    },
  };
}
