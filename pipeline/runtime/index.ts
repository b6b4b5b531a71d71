/**
 * What every long-running app shares: its version, a small HTTP server for `/health` and Prometheus
 * `/metrics`, a signal handler that runs the app's graceful shutdown once, and worker threads that run
 * TypeScript.
 */
import { createServer, type Server } from 'node:http';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { Registry } from 'prom-client';

export { FURROW_VERSION, PROJECT_ROOT, furrowRuntime } from './project';

/**
 * A worker thread running the module at `entry` (a file URL): a TypeScript source, or a module of
 * bin/build.mjs's bundle. Workers don't inherit tsx's loader hooks (bin/furrow.mjs registers them in the main
 * thread only), so for a source the worker registers them first. An eval'd worker resolves bare specifiers
 * from the process's working directory, so tsx is named by its resolved URL: an app started outside the
 * project directory must still find it.
 */
export function typeScriptWorker(entry: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  // A module of the bundle is plain JavaScript: no loader to register.
  if (!entry.endsWith('.ts')) return new Worker(new URL(entry), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...options, eval: true });
}

export interface HealthReport {
  healthy: boolean;
  /** Short reasons when unhealthy, e.g. `s3 uploads failing`. */
  reasons?: string[];
  [detail: string]: unknown;
}

export interface AppServer {
  port: number;
  close(): Promise<void>;
}

/** `GET /health` → 200 `OK` or 503 with the reasons (JSON); `GET /metrics` → Prometheus text. */
export async function startAppServer(opts: { host?: string; port: number; health: () => HealthReport; registry: Registry }): Promise<AppServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      const h = opts.health();
      const body = JSON.stringify(h);
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${path}; try /health or /metrics` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Run `shutdown` once on SIGTERM/SIGINT; a second signal exits at once. Resolves when shutdown is done. */
export function untilSignal(shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      shutdown().then(resolve, (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** `--port` (or another port flag) as given on a command line: undefined when absent, else 0-65535 or a clear error. */
export function parsePortFlag(value: string | undefined, flag = '--port'): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} must be 0-65535, got '${value}'`);
  return port;
}
