import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCollectorPayload } from '../core/collector-payload';
import { readAll, setFaults, clearFaults } from '../streams/kinesis-producer.testkit';
import { harness, type Harness } from './testkit';
import { send } from './http.testkit';

const TP2 = '/com.snowplowanalytics.snowplow/tp2';
const waitFor = async (cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

// Both sink placements: the producers in the HTTP thread (the default) and in a worker thread (`sink.thread: true`).
describe.each([true, false])('collector sink (sink.thread %s): back-pressure, health, ack mode (emulator fault injection)', (thread) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterEach(async () => clearFaults(h.emu.endpoint));
  afterAll(async () => h?.stop());

  it('answers 503 when the buffer is full under a stalled sink, keeps memory bounded, and recovers after', async () => {
    const c = await h.start({ sink: { thread, maxBufferBytes: 1_048_576, maxInFlight: 1, buffer: { timeLimitMs: 0, recordLimit: 500, byteLimit: 3_145_728 } } });
    await setFaults(h.emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 1500 }]);
    const body = JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{ e: 'pv', pad: 'x'.repeat(100_000) }] });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await send(c.url, { method: 'POST', path: `${TP2}?n=${i}`, body, headers: { 'content-type': 'application/json' } });
      statuses.push(r.status);
      if (r.status === 503) expect(r.text).toBe('Service Unavailable');
      expect(c.running.good.bufferedBytes).toBeLessThanOrEqual(1_048_576);
    }
    const accepted = statuses.flatMap((s, i) => (s === 200 ? [i] : []));
    // ~10 bodies of 100 KB fill 1 MiB; then 503 until the stalled call returns (1.5 s later)
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(200));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const metrics = (await send(c.url, { path: '/metrics' })).text;
    expect(metrics).toMatch(new RegExp(`furrow_collector_http_requests_total\\{route="tp2",status="503"\\} ${20 - accepted.length}`));
    expect(Number(new RegExp(`furrow_collector_buffer_bytes\\{stream="${c.raw}"\\} (\\d+)`).exec(metrics)![1])).toBeGreaterThan(900_000);

    await clearFaults(h.emu.endpoint);
    await waitFor(() => c.running.good.bufferedBytes === 0);
    const after = await send(c.url, { method: 'POST', path: `${TP2}?n=after`, body, headers: { 'content-type': 'application/json' } });
    expect(after.status).toBe(200);
    const got = (await c.readRaw()).map((r) => decodeCollectorPayload(r.data).querystring);
    expect(got.sort()).toEqual([...accepted.map((i) => `n=${i}`), 'n=after'].sort());
  });

  it('/health and /sink-health fail while the sink is unhealthy and recover when it is back; no record is lost', async () => {
    const c = await h.start({ sink: { thread } });
    await setFaults(h.emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: '500' }]);
    expect((await send(c.url, { path: '/i?e=pv&during=outage' })).status).toBe(200);
    await waitFor(async () => (await send(c.url, { path: '/health' })).status === 503);
    const sink = await send(c.url, { path: '/sink-health' });
    expect(sink.status).toBe(503);
    expect(sink.text).toBe('Service Unavailable');
    expect((await send(c.url, { path: '/metrics' })).text).toMatch(new RegExp(`furrow_collector_sink_healthy\\{stream="${c.raw}"\\} 0`));
    await clearFaults(h.emu.endpoint);
    await waitFor(async () => (await send(c.url, { path: '/health' })).status === 200);
    const recs = await readAll(h.client, c.raw);
    expect(recs.map((r) => decodeCollectorPayload(r.data).querystring)).toEqual(['e=pv&during=outage']);
  });

  it('ackMode "ack": the answer waits for the Kinesis acknowledgement, so the record is on the stream when the client hears 200', async () => {
    const c = await h.start({ ackMode: 'ack', sink: { thread, buffer: { timeLimitMs: 30_000, recordLimit: 500, byteLimit: 3_145_728 } } });
    await setFaults(h.emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 300 }]);
    const t0 = Date.now();
    const r = await send(c.url, { path: '/i?e=pv&mode=ack' });
    const elapsed = Date.now() - t0;
    expect(r.status).toBe(200);
    // timeLimit is 30 s, but ack mode never holds records for the batch timer
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(15_000);
    const recs = await readAll(h.client, c.raw); // no flush: already acknowledged
    expect(recs.map((x) => decodeCollectorPayload(x.data).querystring)).toEqual(['e=pv&mode=ack']);
  });

  it('ackMode "buffered": the answer does not wait for Kinesis', async () => {
    const c = await h.start({ sink: { thread, buffer: { timeLimitMs: 0, recordLimit: 500, byteLimit: 3_145_728 } } });
    await setFaults(h.emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', latencyMs: 3000 }]);
    const t0 = Date.now();
    expect((await send(c.url, { path: '/i?mode=buffered' })).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(c.running.good.bufferedBytes).toBeGreaterThan(0);
  });

  it('ackMode "ack" against a dead sink: 408 once responseHeaderTimeoutMs passes', async () => {
    const c = await h.start({ ackMode: 'ack', sink: { thread }, networking: { responseHeaderTimeoutMs: 400 } });
    await setFaults(h.emu.endpoint, [{ service: 'kinesis', operation: 'PutRecords', error: 'throttle' }]);
    const t0 = Date.now();
    const r = await send(c.url, { method: 'POST', path: TP2, body: '{}' });
    expect(r.status).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });
});
