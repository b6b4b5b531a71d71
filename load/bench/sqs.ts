/**
 * SQS throughput of Furrow's emulator through the real @aws-sdk/client-sqs: a few workers each loop
 * SendMessageBatch(10) → ReceiveMessage(10) → DeleteMessageBatch(what came back), and we count messages
 * that made the whole trip. The workers run in CLIENT_THREADS worker threads, one SDK client each: a single
 * SDK client thread tops out near 5,000 messages/s on its own, so one thread would measure the client,
 * not the server (as a fleet of loaders would not be one thread either). The same-run baseline is the floor: a bare node:http server in its own process
 * answering the same three calls with canned, SDK-valid JSON (MD5s included), so the ratio says how much of
 * the transport + SDK budget the emulator's own work costs. Rounds of the two alternate (quick: one round of
 * 3 s each; full: three rounds of 4 s each), each after a 1 s warm-up, and the emulator's queue is checked
 * afterwards: everything sent and not deleted must still be there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { typeScriptWorker } from '../../pipeline/runtime/index';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { emulatorSettings, sqsClient } from '../../pipeline/streams/aws-clients';
import type { BenchMetric } from './types';

const WORKERS = 4;
const CLIENT_THREADS = 2;
const BATCH = 10;
/** A small event-like body; every message carries the same one so the floor's canned MD5s are right. */
const BODY = JSON.stringify({ event_id: '0b1f4a8e-2c3d-4e5f-8a9b-0c1d2e3f4a5b', app_id: 'bench', payload: 'x'.repeat(200) });

interface Trip {
  /** Messages sent, received and deleted in the timed window. */
  delivered: number;
  sent: number;
  seconds: number;
}

export async function benchSqs(endpoint: string, opts: { quick?: boolean } = {}): Promise<BenchMetric[]> {
  // Alternate emulator and floor rounds so drift on a shared machine hits both alike.
  const rounds = opts.quick ? 1 : 3;
  const secondsPerRound = opts.quick ? 3 : 4;
  const ours: Trip = { delivered: 0, sent: 0, seconds: 0 };
  const floor: Trip = { delivered: 0, sent: 0, seconds: 0 };
  await withFloorServer(async (floorEndpoint) => {
    const emulator = sqsClient(emulatorSettings(endpoint, { maxAttempts: 1, maxSockets: WORKERS }));
    try {
      const { QueueUrl } = await emulator.send(new CreateQueueCommand({ QueueName: `bench-sqs-${Date.now()}` }));
      let deleted = 0;
      for (let r = 0; r < rounds; r++) {
        const a = await loopInThreads(endpoint, QueueUrl!, secondsPerRound);
        add(ours, a);
        deleted += a.deletedTotal;
        add(floor, await loopInThreads(floorEndpoint, 'http://floor/000000000000/bench', secondsPerRound));
      }
      await checkNothingLost(emulator, QueueUrl!, ours.sent, deleted);
      await emulator.send(new DeleteQueueCommand({ QueueUrl }));
    } finally {
      emulator.destroy();
    }
  });
  const rate = ours.delivered / ours.seconds;
  const floorRate = floor.delivered / floor.seconds;
  return [
    {
      name: `sqs send+receive+delete messages/s (${CLIENT_THREADS} client threads x ${WORKERS} workers, batches of ${BATCH}, ${cpus().length} cores)`,
      value: rate,
      unit: 'messages/s',
      baseline: { name: 'bare node:http with canned SQS answers (transport + SDK floor)', value: floorRate },
      ratio: rate / floorRate,
      goal: '>= 5,000 messages/s',
      pass: rate >= 5_000,
    },
  ];
}

function add(total: Trip, t: Trip): void {
  total.delivered += t.delivered;
  total.sent += t.sent;
  total.seconds += t.seconds;
}

/** Everything sent and not deleted must still be in the queue. */
async function checkNothingLost(client: SQSClient, QueueUrl: string, sent: number, deleted: number): Promise<void> {
  const a = (
    await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))
  ).Attributes!;
  const left = Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
  if (left !== sent - deleted) throw new Error(`sqs bench: sent ${sent}, deleted ${deleted}, but ${left} are left in the queue`);
}

interface LoopJob {
  endpoint: string;
  QueueUrl: string;
  seconds: number;
}
type LoopResult = Trip & { deletedTotal: number };

/** Run `loop` in CLIENT_THREADS worker threads at once (each with its own SDK client) and add up. */
async function loopInThreads(endpoint: string, QueueUrl: string, seconds: number): Promise<LoopResult> {
  const job: LoopJob = { endpoint, QueueUrl, seconds };
  const results = await Promise.all(
    Array.from(
      { length: CLIENT_THREADS },
      () =>
        new Promise<LoopResult>((resolve, reject) => {
          const w = typeScriptWorker(import.meta.url, { workerData: job });
          w.once('message', (r: LoopResult) => resolve(r));
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`sqs bench client thread exited with ${code}`)));
        }),
    ),
  );
  const total: LoopResult = { delivered: 0, sent: 0, seconds: 0, deletedTotal: 0 };
  for (const r of results) {
    total.delivered += r.delivered;
    total.sent += r.sent;
    total.deletedTotal += r.deletedTotal;
    total.seconds = Math.max(total.seconds, r.seconds);
  }
  return total;
}

/** Warm up for a second, then count full trips for `seconds`. */
async function loop(client: SQSClient, QueueUrl: string, seconds: number): Promise<LoopResult> {
  const entries = Array.from({ length: BATCH }, (_, i) => ({ Id: String(i), MessageBody: BODY }));
  let counting = false;
  let stop = false;
  let delivered = 0;
  let sent = 0;
  let deletedTotal = 0;
  const worker = async () => {
    while (!stop) {
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
      sent += out.Successful?.length ?? 0;
      const got = (await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: BATCH }))).Messages ?? [];
      if (got.length === 0) continue;
      const del = await client.send(
        new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
      );
      const ok = del.Successful?.length ?? 0;
      deletedTotal += ok;
      if (counting) delivered += ok;
    }
  };
  const running = Array.from({ length: WORKERS }, worker);
  await sleep(1000);
  counting = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(running);
  return { delivered, sent, seconds: elapsed, deletedTotal };
}

/**
 * The floor server, as plain JS for `node -e`: it reads each request body and answers SendMessageBatch,
 * ReceiveMessage and DeleteMessageBatch with fixed JSON the SDK accepts (entry ids 0-9, body MD5s right).
 */
function floorServerSource(): string {
  const md5 = createHash('md5').update(BODY, 'utf8').digest('hex');
  const ids = Array.from({ length: BATCH }, (_, i) => String(i));
  const answers = {
    'AmazonSQS.SendMessageBatch': JSON.stringify({
      Successful: ids.map((Id) => ({ Id, MessageId: `00000000-0000-4000-8000-00000000000${Id}`, MD5OfMessageBody: md5 })),
      Failed: [],
    }),
    'AmazonSQS.ReceiveMessage': JSON.stringify({
      Messages: ids.map((Id) => ({
        MessageId: `00000000-0000-4000-8000-00000000000${Id}`,
        ReceiptHandle: Buffer.from(`floor|${Id}|1`).toString('base64'),
        MD5OfBody: md5,
        Body: BODY,
      })),
    }),
    'AmazonSQS.DeleteMessageBatch': JSON.stringify({ Successful: ids.map((Id) => ({ Id })), Failed: [] }),
  };
  return `
    const http = require('node:http');
    const answers = ${JSON.stringify(answers)};
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = answers[req.headers['x-amz-target']] || '{}';
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
  `;
}

async function withFloorServer<T>(fn: (endpoint: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', floorServerSource()], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`sqs floor server exited with ${code}`)));
    });
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    await stopChild(child);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A client thread of loopInThreads: run one loop and hand the counts back.
if (!isMainThread && parentPort && (workerData as LoopJob | undefined)?.QueueUrl) {
  const job = workerData as LoopJob;
  const client = sqsClient(emulatorSettings(job.endpoint, { maxAttempts: 1, maxSockets: WORKERS }));
  const result = await loop(client, job.QueueUrl, job.seconds);
  client.destroy();
  parentPort.postMessage(result);
}
