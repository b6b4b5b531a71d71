/**
 * The worker side of `KinesisProducerThread`: one Kinesis client and one `KinesisProducer` per stream.
 * Records arrive framed in transferred buffers (see producer-thread.ts); what became of them goes back in
 * one `settled` message per stream per event-loop turn.
 */
import { Buffer } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { kinesisClient } from './aws-clients';
import { errorMessage, KinesisProducer } from './kinesis-producer';
import type { FromWorker, ToWorker, WorkerData } from './producer-thread';

const port = parentPort!;
const { aws, streams } = workerData as WorkerData;
const client = kinesisClient({ ...aws, maxAttempts: 1 });
const post = (m: FromWorker) => port.postMessage(m);

const acked: number[][] = streams.map(() => []);
const failed: Array<Array<[number, string, string]>> = streams.map(() => []);
let reportScheduled = false;
const sendSettled = () => {
  reportScheduled = false;
  for (let s = 0; s < streams.length; s++) {
    if (acked[s]!.length === 0 && failed[s]!.length === 0) continue;
    post({ t: 'settled', stream: s, acked: Uint32Array.from(acked[s]!), failed: failed[s]! });
    acked[s] = [];
    failed[s] = [];
  }
};
const scheduleSettled = () => {
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(sendSettled);
};

const producers = streams.map(
  (options, s) =>
    new KinesisProducer({
      ...options,
      client,
      onPutRecords: (r) => post({ t: 'report', report: { ...r, error: r.error === undefined ? undefined : errorMessage(r.error) } }),
      onHealthChange: (healthy) => post({ t: 'health', stream: s, healthy }),
    }),
);

post({ t: 'ready' });

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'records':
      return receive(m.buf, m.length);
    case 'flush':
      return void producers[m.stream]!.flush();
    case 'close':
      return void producers[m.stream]!.close(m.timeoutMs < 0 ? Infinity : m.timeoutMs).then((lost) => {
        sendSettled(); // what close() failed must reach the main thread before its answer
        post({ t: 'closed', stream: m.stream, lost });
      });
  }
});

/**
 * Feed one hand-over's frames to the producers. The records' data stay views of the transferred chunk; once
 * every one of them is settled (acknowledged or given up) the chunk goes back to the main thread for reuse.
 */
function receive(buf: ArrayBuffer, length: number): void {
  const bytes = new Uint8Array(buf, 0, length);
  const view = new DataView(buf, 0, length);
  const text = Buffer.from(buf, 0, length);
  let unsettled = 1; // the loop's own hold, released after the last frame
  const settledOne = () => {
    // The producer no longer reads a record's bytes once it is settled; the views detach on transfer.
    if (--unsettled === 0) port.postMessage({ t: 'chunk', buf } satisfies FromWorker, [buf]);
  };
  let o = 0;
  while (o < length) {
    const s = bytes[o]!;
    const id = view.getUint32(o + 1, true);
    const keyLen = view.getUint16(o + 5, true);
    const partitionKey = text.toString('utf8', o + 7, o + 7 + keyLen);
    o += 7 + keyLen;
    const dataLen = view.getUint32(o, true);
    const data = bytes.subarray(o + 4, o + 4 + dataLen);
    o += 4 + dataLen;
    unsettled++;
    producers[s]!.add(
      { data, partitionKey },
      (err) => {
        failed[s]!.push([id, err.name, err.message]);
        scheduleSettled();
        settledOne();
      },
      () => {
        acked[s]!.push(id);
        scheduleSettled();
        settledOne();
      },
    );
  }
  settledOne();
}
