import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';

/** One pipeline stage run as its own child process (`node bin/furrow.mjs <args>`). */
export interface StageSpec {
  name: string;
  /** Arguments after `furrow`, e.g. `['collector', '--config', file]`. */
  args: string[];
  env?: Record<string, string>;
  /** URL that answers 200 once the stage can do its job (its `/health`); several for an app hosting several. */
  healthUrl?: string | string[];
}

export type StageState = 'starting' | 'ready' | 'restarting' | 'stopped' | 'failed';

export interface StageStatus {
  name: string;
  state: StageState;
  pid: number | null;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

export interface SupervisorOptions {
  /** Path of bin/furrow.mjs. */
  furrowBin: string;
  /** Per-stage logs go to `<logDir>/<stage>.log`. */
  logDir: string;
  /** Progress and restart notices. */
  notify?: (line: string) => void;
  /** Longest back-off between restarts. Default 10 s. */
  maxBackoffMs?: number;
}

class Stage {
  child: ChildProcess | null = null;
  state: StageState = 'starting';
  restarts = 0;
  lastExit?: StageStatus['lastExit'];
  private log: WriteStream;
  private backoffMs = 250;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly spec: StageSpec,
    private readonly sup: Supervisor,
  ) {
    this.log = createWriteStream(join(sup.options.logDir, `${spec.name}.log`), { flags: 'a' });
  }

  start(): void {
    this.startedAt = Date.now();
    const child = spawn(process.execPath, [this.sup.options.furrowBin, ...this.spec.args], {
      env: { ...process.env, ...this.spec.env, FURROW_STAGE: this.spec.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (err) => this.log.write(`supervisor: spawn failed: ${err.message}\n`));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.lastExit = { code, signal, at: new Date().toISOString() };
    if (this.sup.stopping) {
      this.state = 'stopped';
      return;
    }
    // Restart with exponential back-off; a stage that ran for a minute starts over at the short delay.
    if (Date.now() - this.startedAt > 60_000) this.backoffMs = 250;
    this.state = 'restarting';
    this.restarts++;
    this.sup.options.notify?.(`${this.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${this.backoffMs} ms (see ${this.spec.name}.log)`);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.sup.stopping) {
        this.state = 'starting';
        this.start();
        void this.sup.watchHealth(this);
      }
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.sup.options.maxBackoffMs ?? 10_000);
  }

  async stop(timeoutMs: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null) {
      this.state = 'stopped';
      return;
    }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
    this.state = 'stopped';
    this.log.end();
  }

  status(): StageStatus {
    return { name: this.spec.name, state: this.state, pid: this.child?.pid ?? null, restarts: this.restarts, lastExit: this.lastExit };
  }
}

/** True when `url` answers 200 within a second. node:http, not fetch: polled ten times a second per stage while
 * eight stages start, fetch's per-request cost was a CPU-second of the start-up. */
function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200)).on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy()).on('error', () => resolve(false));
  });
}

/**
 * Runs every stage as a child process, restarts a stage that dies (with back-off), and stops them all
 * cleanly. Children are killed if the supervisor itself exits, so no stray processes are left.
 */
export class Supervisor {
  stopping = false;
  private readonly stages = new Map<string, Stage>();
  private readonly killAll = () => {
    for (const s of this.stages.values()) s.child?.kill('SIGKILL');
  };

  constructor(readonly options: SupervisorOptions) {
    mkdirSync(options.logDir, { recursive: true });
    process.on('exit', this.killAll);
  }

  /** Start a stage; resolves when its health URL answers 200 (or at once if it has none). */
  async start(spec: StageSpec, readyTimeoutMs = 30_000): Promise<void> {
    if (this.stages.has(spec.name)) throw new Error(`stage ${spec.name} already started`);
    const stage = new Stage(spec, this);
    this.stages.set(spec.name, stage);
    stage.start();
    await this.watchHealth(stage, readyTimeoutMs);
  }

  /** Poll the stage's health URL until it answers 200; marks it ready. */
  async watchHealth(stage: Stage, timeoutMs = 30_000): Promise<void> {
    if (!stage.spec.healthUrl) {
      stage.state = 'ready';
      return;
    }
    const pending = [stage.spec.healthUrl].flat();
    const deadline = Date.now() + timeoutMs;
    while (!this.stopping && Date.now() < deadline) {
      if (stage.state === 'restarting') return;
      while (pending.length && (await answers200(pending[0]!))) pending.shift();
      if (!pending.length) {
        stage.state = 'ready';
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!this.stopping && stage.state !== 'ready') {
      stage.state = 'failed';
      throw new Error(`${stage.spec.name} did not become healthy within ${timeoutMs} ms (see ${join(this.options.logDir, stage.spec.name + '.log')})`);
    }
  }

  status(): StageStatus[] {
    return [...this.stages.values()].map((s) => s.status());
  }

  pids(): Record<string, number | null> {
    return Object.fromEntries([...this.stages.values()].map((s) => [s.spec.name, s.child?.pid ?? null]));
  }

  /** SIGTERM every stage (in reverse start order), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const stages = [...this.stages.values()].reverse();
    await Promise.all(stages.map((s) => s.stop(timeoutMs)));
    process.off('exit', this.killAll);
  }
}
