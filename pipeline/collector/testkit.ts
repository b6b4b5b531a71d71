/** Test harness: an emulator, its streams, and a collector in-process on port 0. */
import pino from 'pino';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { startEmulator, type RunningEmulator } from '../../emulator/aws/index';
import { parsePipelineConfig } from '../config/index';
import { emulatorSettings, kinesisClient } from '../streams/aws-clients';
import { createStreams, readAll, readUntil, type ReadRecord } from '../streams/kinesis-producer.testkit';
import { startCollector, type RunningCollector } from './main';

let suffix = 0;

export interface Harness {
  emu: RunningEmulator;
  client: KinesisClient;
  start(collector?: Record<string, unknown>, streams?: { raw: string; bad1: string }): Promise<TestCollector>;
  stop(): Promise<void>;
}

export interface TestCollector {
  running: RunningCollector;
  url: string;
  raw: string;
  bad: string;
  /** Flush the producers, then read a stream. */
  readRaw(): Promise<ReadRecord[]>;
  readBad(): Promise<ReadRecord[]>;
  stop(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const emu = await startEmulator({ port: 0 });
  const client = kinesisClient(emulatorSettings(emu.endpoint, { maxAttempts: 1 }));
  const collectors: TestCollector[] = [];
  return {
    emu,
    client,
    async start(collector = {}, streams) {
      const n = ++suffix;
      const raw = streams?.raw ?? `raw-${n}`;
      const bad = streams?.bad1 ?? `bad-${n}`;
      if (!streams) await createStreams(client, [raw, bad]);
      const pipeline = parsePipelineConfig(
        JSON.stringify({
          aws: emulatorSettings(emu.endpoint),
          streams: { raw, bad1: bad },
          collector: { port: 0, ...collector, sink: { buffer: { timeLimitMs: 20 }, backoff: { minMs: 10, maxMs: 200 }, ...(collector.sink as object | undefined) } },
        }),
      );
      const running = await startCollector(pipeline, { logger: pino({ level: 'silent' }) });
      const tc: TestCollector = {
        running,
        url: `http://127.0.0.1:${running.port}`,
        raw,
        bad,
        async readRaw() {
          await running.good.flush();
          return readAll(client, raw);
        },
        async readBad() {
          await running.bad.flush();
          return readAll(client, bad);
        },
        async stop() {
          await running.shutdown();
        },
      };
      collectors.push(tc);
      return tc;
    },
    async stop() {
      for (const c of collectors.splice(0)) await c.stop().catch(() => undefined);
      client.destroy();
      await emu.stop();
    },
  };
}

export { readUntil };
