/**
 * `npm run bench -- collector`: the collector's HTTP throughput against a bare node:http server that only
 * answers 200, in the same run. Three child processes: the AWS emulator, the collector (writing to the
 * emulator's raw stream), and the bare server. autocannon (in this process) sends tp2 POSTs of one ~1 KB
 * event, then GET /i pixels, to each, in slices that alternate between the two servers; then wrk does the same
 * if it is installed. Reported: req/s, p99 latency, CPU per request (whole server, its event-loop thread, the
 * load generator, the emulator), and the collector's peak RSS (VmHWM from /proc, else sampled `ps` RSS).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { emulatorSettings, kinesisClient } from '../../pipeline/streams/aws-clients';
import type { Bench, BenchMetric } from './types';

const ROOT = join(import.meta.dirname, '..', '..');
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const children = new Set<ChildProcess>();
/**
 * The emulator stands in for Kinesis, whose CPU is not on the collector's machine in production. It keeps every
 * record (1.1 GB in a full run), and on this VM each first touch of a 4 KiB page costs ~11 µs: ~0.5 faults per
 * record, a third of the emulator's CPU per record. glibc's malloc on transparent huge pages (glibc >= 2.35;
 * ignored elsewhere) takes that out of the shared cores, so the run measures the collector rather than the
 * stand-in's page faults. FURROW_BENCH_EMULATOR_HUGEPAGES=0 turns it off.
 */
const EMULATOR_ENV: NodeJS.ProcessEnv =
  process.platform === 'linux' && process.env.FURROW_BENCH_EMULATOR_HUGEPAGES !== '0' ? { GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':') } : {};

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** One tp2 POST body carrying a single page view with a context, about 1 KB. */
export function oneEventBody(): string {
  const ctx = Buffer.from(
    JSON.stringify({
      schema: 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0',
      data: [{ schema: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0', data: { id: '5cea9899-10df-4ccf-bf66-8c36f4a4bba2' } }],
    }),
  ).toString('base64url');
  const event: Record<string, string> = {
    e: 'pv',
    eid: 'bee0a6d7-fc17-4392-b2bc-2208e8e944f3',
    tv: 'js-4.0.0',
    tna: 'sp',
    aid: 'shop',
    p: 'web',
    cookie: '1',
    cs: 'UTF-8',
    lang: 'en-GB',
    res: '2560x1440',
    cd: '24',
    tz: 'Europe/London',
    dtm: '1700000000000',
    stm: '1700000000010',
    vp: '1280x720',
    ds: '1280x3000',
    vid: '3',
    sid: 'a8e4f7a2-3f2b-4e0f-9d8c-2a7f0b1c9d3e',
    duid: '36746fd2-8441-4ea2-8ad0-237d6f4c77cf',
    url: 'https://shop.example.com/products/running-shoes?colour=blue&size=42&utm_source=newsletter&utm_medium=email&utm_campaign=spring',
    refr: 'https://www.google.com/search?q=blue+running+shoes',
    page: 'Blue running shoes | Example Shop',
    cx: ctx,
  };
  const body = { schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [event] };
  let s = JSON.stringify(body);
  if (s.length < 1000) {
    event.pad = 'x'.repeat(1000 - s.length - 10);
    s = JSON.stringify(body);
  }
  return s;
}

const PIXEL_PATH =
  '/i?e=pv&url=https%3A%2F%2Fshop.example.com%2Fproducts%2Frunning-shoes&page=Blue%20running%20shoes&tv=js-4.0.0&tna=sp&aid=shop&p=web&eid=bee0a6d7-fc17-4392-b2bc-2208e8e944f3&dtm=1700000000000&stm=1700000000010&res=2560x1440&cd=24&tz=Europe%2FLondon&lang=en-GB&cs=UTF-8&vid=3&duid=36746fd2-8441-4ea2-8ad0-237d6f4c77cf';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startChild(args: string[], what: string, portFrom: (line: string) => number | undefined, env: NodeJS.ProcessEnv = ENV): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        const port = portFrom(line);
        if (port) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          child.stderr!.resume();
          return resolve({ child, port });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${what} exited early (${code}):\n${out}`)));
  });
}

const jsonPort = (pred: (j: Record<string, unknown>) => boolean) => (line: string) => {
  if (!line.startsWith('{')) return undefined;
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    return pred(j) && typeof j.port === 'number' ? j.port : undefined;
  } catch {
    return undefined;
  }
};

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Peak resident set of a process in bytes: VmHWM on Linux, else the largest sample seen. */
/** `pid` and its descendants (a cluster's primary and workers), from /proc; just `pid` off Linux. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      /* gone, or not Linux */
    }
  }
  return out;
}

/**
 * Peak memory of the collector's process tree, sampled every 250 ms: the summed RSS, the largest single
 * process's RSS, and the summed PSS (each page shared between processes — the node binary, libraries —
 * counted once across them, split in proportion). For one process the three agree but for PSS's share of
 * pages other processes map; for a cluster, summed RSS counts the shared pages once per process.
 */
class RssWatcher {
  private rssSum = 0;
  private rssMax = 0;
  private pssSum = 0;
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(this.ticks++ % 4 === 0), 250);
  }
  /** PSS only every fourth sample: reading smaps_rollup costs ~0.7 ms per process, in the load generator's process. */
  private sample(withPss = true): void {
    let rss = 0;
    let pss = 0;
    for (const p of processTree(this.pid)) {
      try {
        const r = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;
        rss += r;
        this.rssMax = Math.max(this.rssMax, r);
        if (withPss) pss += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
      } catch {
        /* gone, or not Linux */
      }
    }
    this.rssSum = Math.max(this.rssSum, rss);
    this.pssSum = Math.max(this.pssSum, pss);
  }
  peak(): { rssSum: number; rssMax: number; pssSum: number } {
    this.sample();
    return { rssSum: this.rssSum, rssMax: this.rssMax, pssSum: this.pssSum };
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * CPU time (user + system) a process tree has used, in µs; with `mainThread`, only its processes' main threads
 * (the ones that run the JavaScript event loops: for an HTTP server, the loops whose capacity caps its req/s).
 * Undefined off Linux.
 */
function cpuMicros(pid: number | undefined, mainThread = false): number | undefined {
  if (pid === undefined) return undefined;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(mainThread ? `/proc/${p}/task/${p}/stat` : `/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
    } catch {
      if (p === pid) return undefined;
    }
  }
  return total;
}

interface Load {
  /** Server (and emulator) CPU µs per request during the run, when /proc is available. */
  cpuPerRequest?: number;
  emulatorCpuPerRequest?: number;
  /** The server's main (event-loop) thread's CPU µs per request. */
  mainCpuPerRequest?: number;
  /** The load generator's CPU µs per request. */
  loadCpuPerRequest?: number;
  rps: number;
  p99: number;
  p50: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Measured seconds (autocannon's own duration). */
  seconds: number;
  /** Server and emulator CPU µs over the run. */
  cpu?: number;
  emulatorCpu?: number;
  mainCpu?: number;
  loadCpu?: number;
}

/**
 * Several slices of one target as one measurement: req/s over the summed time, the worst slice's p99
 * (conservative), the request-weighted p50, CPU per request over all slices.
 */
function combine(slices: Load[]): Load {
  const sum = (f: (l: Load) => number) => slices.reduce((n, l) => n + f(l), 0);
  const n = sum((l) => l.ok + l.non2xx);
  const seconds = sum((l) => l.seconds);
  const out: Load = {
    rps: n / seconds,
    p99: Math.max(...slices.map((l) => l.p99)),
    p50: n > 0 ? sum((l) => l.p50 * (l.ok + l.non2xx)) / n : 0,
    ok: sum((l) => l.ok),
    non2xx: sum((l) => l.non2xx),
    errors: sum((l) => l.errors),
    seconds,
  };
  if (slices.every((l) => l.cpu !== undefined) && n > 0) {
    out.cpu = sum((l) => l.cpu!);
    out.cpuPerRequest = out.cpu / n;
  }
  for (const [total, per] of [
    ['mainCpu', 'mainCpuPerRequest'],
    ['loadCpu', 'loadCpuPerRequest'],
  ] as const)
    if (slices.every((l) => l[total] !== undefined) && n > 0) {
      out[total] = sum((l) => l[total]!);
      out[per] = out[total] / n;
    }
  if (slices.every((l) => l.emulatorCpu !== undefined) && n > 0) {
    out.emulatorCpu = sum((l) => l.emulatorCpu!);
    out.emulatorCpuPerRequest = out.emulatorCpu / n;
  }
  return out;
}

async function load(url: string, opts: { method: 'GET' | 'POST'; path: string; body?: string; seconds?: number; amount?: number; connections: number }): Promise<Load> {
  const r = await autocannon({
    url: url + opts.path,
    method: opts.method,
    body: opts.body,
    headers: opts.body
      ? { 'content-type': 'application/json; charset=UTF-8', 'user-agent': 'Mozilla/5.0 (bench)', cookie: 'sp=0d3f5b4e-8c1a-4e6b-9f7d-2c3b4a5e6f70' }
      : { 'user-agent': 'Mozilla/5.0 (bench)', cookie: 'sp=0d3f5b4e-8c1a-4e6b-9f7d-2c3b4a5e6f70' },
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds }),
  });
  return { rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, seconds: r.duration };
}

/** Whether Debian's `wrk` (a C load generator, much lighter than autocannon) is installed. */
function haveWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** The same load from `wrk -t1` (Lua script for the POST body and headers); its CPU read from /proc while it runs. */
async function loadWrk(url: string, opts: { method: 'GET' | 'POST'; path: string; bodyFile?: string; seconds: number; connections: number; dir: string }): Promise<Load> {
  const script = join(opts.dir, `${opts.method}.lua`);
  writeFileSync(
    script,
    (opts.bodyFile ? `local f = io.open(${JSON.stringify(opts.bodyFile)}, "rb"); wrk.body = f:read("*all"); f:close()\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json; charset=UTF-8"\n` : '') +
      'wrk.headers["User-Agent"] = "Mozilla/5.0 (bench)"\nwrk.headers["Cookie"] = "sp=0d3f5b4e-8c1a-4e6b-9f7d-2c3b4a5e6f70"\n',
  );
  const child = spawn('wrk', ['-t1', '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--latency', '-s', script, url + opts.path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let cpu: number | undefined;
  const poll = setInterval(() => (cpu = cpuMicros(child.pid) ?? cpu), 50);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(poll);
  const total = /(\d+) requests in ([\d.]+)s/.exec(out);
  if (code !== 0 || !total) throw new Error(`wrk failed (${code}):\n${out}`);
  const ms = (m: RegExpExecArray | null) => (m ? Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]!]! : NaN);
  const n = Number(total[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: n / Number(total[2]),
    p99: ms(/99%\s+([\d.]+)(us|ms|s)/.exec(out)),
    p50: ms(/50%\s+([\d.]+)(us|ms|s)/.exec(out)),
    ok: n - non2xx,
    non2xx,
    errors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    seconds: Number(total[2]),
    loadCpu: cpu,
  };
}

async function metricsSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').at(-1));
  return sum;
}

export const bench: Bench = async ({ quick }) => {
  const seconds = quick ? 4 : 10;
  // The measured seconds per target and route, taken in slices that alternate between the bare server and the
  // collector: on a shared machine whose load drifts, both then see the same drift.
  const slices = quick ? 2 : 5;
  // Warm-up by request count, not time: V8 tiers code up per invocation, and a loaded machine serves few requests per second.
  const warmup = quick ? 10_000 : 30_000;
  const connections = 20;
  const body = oneEventBody();
  const notes = [
    `load average at the start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; shared and noisy machine: autocannon, the collector and the emulator compete for the same cores`,
    `autocannon ${connections} connections, ${seconds} s per server and route in ${slices} alternating slices (req/s over all slices, p99 of the worst slice) after ${warmup} warm-up requests per server and route; tp2 body ${Buffer.byteLength(body)} B (one page view); GET /i with a ${PIXEL_PATH.length}-char querystring`,
  ];
  // FURROW_BENCH_COLLECTOR_SINK_THREAD=1 measures the collector with `sink.thread: true` (producers in a worker thread).
  const sinkThread = process.env.FURROW_BENCH_COLLECTOR_SINK_THREAD === '1';
  // The collector as deployed on this machine: one HTTP worker process per core (collector.workers), as a
  // Node server uses one core per event loop. FURROW_BENCH_COLLECTOR_WORKERS=1 measures a single process.
  const workers = Math.max(1, Number(process.env.FURROW_BENCH_COLLECTOR_WORKERS ?? cpus().length) || 1);
  notes.push(`emulator environment: ${EMULATOR_ENV.GLIBC_TUNABLES ? `GLIBC_TUNABLES=${EMULATOR_ENV.GLIBC_TUNABLES} (malloc on transparent huge pages)` : 'as inherited'}`);
  notes.push(`collector config: defaults but workers ${workers} (one per core unless FURROW_BENCH_COLLECTOR_WORKERS is set), sink.thread ${sinkThread}; the bare server is one process`);
  const dir = mkdtempSync(join(tmpdir(), 'furrow-bench-collector-'));
  try {
    const emuPort = await freePort();
    const emulator = await startChild(
      [join(ROOT, 'bin', 'furrow.mjs'), 'emulator', '--port', String(emuPort)],
      'emulator',
      (l) => (l.includes('listening') ? emuPort : undefined),
      { ...ENV, ...EMULATOR_ENV },
    );
    const endpoint = `http://127.0.0.1:${emuPort}`;
    const client = kinesisClient(emulatorSettings(endpoint));
    for (const StreamName of ['raw', 'bad-1']) await client.send(new CreateStreamCommand({ StreamName, ShardCount: 4 }));
    client.destroy();

    const configFile = join(dir, 'pipeline.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        aws: { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } },
        collector: { port: 0, logLevel: 'info', workers, sink: { thread: sinkThread, buffer: { timeLimitMs: 500, recordLimit: 500, byteLimit: 3_145_728 } } },
      }),
    );
    const collector = await startChild([join(ROOT, 'bin', 'furrow.mjs'), 'collector', '--config', configFile], 'collector', jsonPort((j) => String(j.msg).startsWith('collector listening') && (workers === 1 || j.workers !== undefined)));
    const bare = await startChild(['-e', BARE_SERVER], 'bare server', jsonPort(() => true));
    const collectorUrl = `http://127.0.0.1:${collector.port}`;
    const bareUrl = `http://127.0.0.1:${bare.port}`;
    const rss = new RssWatcher(collector.child.pid!);

    const bodyFile = join(dir, 'tp2-body.json');
    writeFileSync(bodyFile, body);
    const run = async (url: string, method: 'GET' | 'POST', duration: number | { amount: number }, generator: 'autocannon' | 'wrk' = 'autocannon') => {
      const path = method === 'POST' ? '/com.snowplowanalytics.snowplow/tp2' : PIXEL_PATH;
      const server = url === collectorUrl ? collector.child.pid : bare.child.pid;
      const [s0, m0, e0, l0] = [cpuMicros(server), cpuMicros(server, true), cpuMicros(emulator.child.pid), process.cpuUsage()];
      const r =
        generator === 'wrk'
          ? await loadWrk(url, { method, path, bodyFile: method === 'POST' ? bodyFile : undefined, seconds: duration as number, connections, dir })
          : await load(url, { method, path, body: method === 'POST' ? body : undefined, ...(typeof duration === 'number' ? { seconds: duration } : duration), connections });
      if (generator === 'autocannon') {
        const l = process.cpuUsage(l0);
        r.loadCpu = l.user + l.system;
      }
      // the buffered records' PutRecords calls finish within the time limit: count their CPU too
      if (url === collectorUrl) await new Promise((res) => setTimeout(res, 700));
      const [s1, m1, e1] = [cpuMicros(server), cpuMicros(server, true), cpuMicros(emulator.child.pid)];
      if (s0 !== undefined && s1 !== undefined) r.cpu = s1 - s0;
      if (m0 !== undefined && m1 !== undefined) r.mainCpu = m1 - m0;
      if (e0 !== undefined && e1 !== undefined) r.emulatorCpu = e1 - e0;
      return r;
    };
    // Warm both servers on both routes first: V8 needs a few seconds of traffic to optimise the collector's
    // request path and the SDK's PutRecords serialisation (cold, the first POSTs cost ~10x more CPU).
    for (const url of [collectorUrl, bareUrl]) for (const method of ['POST', 'GET'] as const) await run(url, method, { amount: warmup });
    const results: Record<string, Load> = {};
    // autocannon (the issue's load generator) always; wrk too when installed: on a 2-core machine autocannon's own
    // CPU per request exceeds the bare server's, so the load generator takes much of what the servers could use.
    const generators = haveWrk() ? (['autocannon', 'wrk'] as const) : (['autocannon'] as const);
    if (generators.length === 1) notes.push('wrk is not installed (apt-get install wrk): only the autocannon figures were taken');
    for (const generator of generators)
      for (const method of ['POST', 'GET'] as const) {
        const bareSlices: Load[] = [];
        const collectorSlices: Load[] = [];
        for (let i = 0; i < slices; i++) {
          bareSlices.push(await run(bareUrl, method, seconds / slices, generator));
          collectorSlices.push(await run(collectorUrl, method, seconds / slices, generator));
        }
        const name = (method === 'POST' ? 'Post' : 'Get') + (generator === 'wrk' ? 'Wrk' : '');
        results[`bare${name}`] = combine(bareSlices);
        results[`collector${name}`] = combine(collectorSlices);
      }
    const peakRss = rss.peak();
    rss.stop();

    // Every 200 must have become a record: wait for the buffer to drain, then compare.
    await new Promise((r) => setTimeout(r, 1500));
    const written = await metricsSum(collectorUrl, 'furrow_collector_records_written_total');
    const accepted = Object.entries(results)
      .filter(([k]) => k.startsWith('collector'))
      .reduce((n, [, r]) => n + r.ok, 0);
    const warmupAccepted = (await metricsSum(collectorUrl, 'furrow_collector_http_requests_total{route="tp2",status="200"}')) +
      (await metricsSum(collectorUrl, 'furrow_collector_http_requests_total{route="pixel",status="200"}'));
    notes.push(
      `collector: ${warmupAccepted} requests answered 200 (incl. warm-up), ${written} records acknowledged by the emulator's raw stream` +
        (written >= warmupAccepted ? ' (none lost)' : ` (${warmupAccepted - written} not yet written)`),
      `measured runs: collector POST ${results.collectorPost.ok} ok / ${results.collectorPost.non2xx} non-2xx / ${results.collectorPost.errors} errors; GET ${results.collectorGet.ok} ok / ${results.collectorGet.non2xx} non-2xx / ${results.collectorGet.errors} errors (${accepted} total)`,
      `p50: collector POST ${results.collectorPost.p50} ms, GET ${results.collectorGet.p50} ms; bare POST ${results.barePost.p50} ms, GET ${results.bareGet.p50} ms`,
      `emulator CPU per collector request (Kinesis PutRecords work the bare server does not have): POST ${results.collectorPost.emulatorCpuPerRequest?.toFixed(0) ?? '?'} µs, GET ${results.collectorGet.emulatorCpuPerRequest?.toFixed(0) ?? '?'} µs`,
      ...Object.entries(results).map(
        ([k, r]) => `${k}: load generator ${r.loadCpuPerRequest?.toFixed(1) ?? '?'} µs CPU per request; server ${r.cpuPerRequest?.toFixed(1) ?? '?'} µs (event-loop thread ${r.mainCpuPerRequest?.toFixed(1) ?? '?'} µs)`,
      ),
      `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
    await stop(collector.child);
    await stop(bare.child);

    const metrics: BenchMetric[] = [];
    const rows: Array<[string, Load, Load]> = [
      ['tp2 POST (1 event)', results.collectorPost!, results.barePost!],
      ['GET /i pixel', results.collectorGet!, results.bareGet!],
    ];
    if (results.collectorPostWrk) rows.push(['wrk: tp2 POST (1 event)', results.collectorPostWrk, results.barePostWrk!], ['wrk: GET /i pixel', results.collectorGetWrk!, results.bareGetWrk!]);
    for (const [kind, c, b] of rows) {
      const ratio = c.rps / b.rps;
      metrics.push({
        name: `${kind} req/s`,
        value: c.rps,
        unit: 'req/s',
        baseline: { name: 'bare node:http 200', value: b.rps },
        ratio,
        goal: '>= 50% of the bare server',
        pass: ratio >= 0.5 && c.non2xx === 0 && c.errors === 0,
      });
      metrics.push({
        name: `${kind} p99 latency (ratio = collector/bare)`,
        value: c.p99,
        unit: 'ms',
        baseline: { name: 'bare node:http 200', value: b.p99 },
        ratio: b.p99 > 0 ? c.p99 / b.p99 : undefined,
        goal: '< 50 ms',
        pass: c.p99 < 50,
      });
      if (kind.startsWith('wrk')) continue;
      if (c.cpuPerRequest !== undefined && b.cpuPerRequest !== undefined)
        metrics.push({
          name: `${kind} server CPU per request (ratio = bare/collector, the capacity ratio on an idle machine)`,
          value: c.cpuPerRequest,
          unit: 'µs',
          baseline: { name: 'bare node:http 200', value: b.cpuPerRequest },
          ratio: b.cpuPerRequest / c.cpuPerRequest,
        });
      if (c.mainCpuPerRequest !== undefined && b.mainCpuPerRequest !== undefined)
        metrics.push({
          name:
            workers === 1
              ? `${kind} event-loop thread CPU per request (ratio = bare/collector: the req/s ceiling ratio with a core to spare)`
              : `${kind} event-loop threads' CPU per request, summed over the ${workers} workers (ratio = bare/collector)`,
          value: c.mainCpuPerRequest,
          unit: 'µs',
          baseline: { name: 'bare node:http 200', value: b.mainCpuPerRequest },
          ratio: b.mainCpuPerRequest / c.mainCpuPerRequest,
        });
    }
    if (workers === 1) metrics.push({ name: 'collector peak RSS', value: peakRss.rssSum / 2 ** 20, unit: 'MiB', goal: '< 256 MiB', pass: peakRss.rssSum < 256 * 2 ** 20 });
    else {
      // Summed RSS counts the pages the processes share (node's binary and libraries, ~45 MiB each) once per
      // process; PSS splits them, so its sum is what the tree really holds.
      metrics.push({ name: `collector peak memory, ${workers} workers + primary (summed PSS)`, value: peakRss.pssSum / 2 ** 20, unit: 'MiB', goal: '< 256 MiB', pass: peakRss.pssSum < 256 * 2 ** 20 });
      metrics.push({ name: 'collector peak RSS summed over its processes (shared pages counted per process)', value: peakRss.rssSum / 2 ** 20, unit: 'MiB' });
      metrics.push({ name: 'collector peak RSS of its largest process', value: peakRss.rssMax / 2 ** 20, unit: 'MiB', goal: '< 256 MiB', pass: peakRss.rssMax < 256 * 2 ** 20 });
    }
    return { stage: 'collector', metrics, notes };
  } finally {
    for (const c of [...children]) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
};
