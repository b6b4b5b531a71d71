/** The faults themselves: the AWS emulator's fault switch, kill -9 of a supervised stage, a Postgres restart. */
import type { Supervisor } from '../../emulator/emulate/supervisor';
import { until } from '../until';

export type AwsService = 'kinesis' | 's3' | 'sqs' | 'dynamodb';

/** A rule for `POST /_furrow/faults` (emulator/aws/faults.ts `FaultRule`). */
export interface AwsFaultRule {
  service: AwsService;
  operation?: string;
  error?: 'throttle' | '500' | 'timeout';
  errorRate?: number;
  latencyMs?: number;
  count?: number;
  timeoutMs?: number;
}

async function faults(awsUrl: string, init: RequestInit): Promise<void> {
  const res = await fetch(`${awsUrl}/_furrow/faults`, { ...init, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`fault switch answered ${res.status}: ${text}`);
}

export const addAwsFault = (awsUrl: string, rule: AwsFaultRule) => faults(awsUrl, { method: 'POST', body: JSON.stringify({ rule }) });
export const clearAwsFaults = (awsUrl: string) => faults(awsUrl, { method: 'DELETE' });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function totalRestarts(supervisor: Supervisor): number {
  return supervisor.status().reduce((n, s) => n + s.restarts, 0);
}

/**
 * The supervised stages a kill target names: the stage itself, or the stages named `<target>-…` (e.g.
 * `s3-loader` is one process for all three purposes, or three `s3-loader-<purpose>` processes).
 */
export function stagesNamed(supervisor: Supervisor, target: string): string[] {
  const names = supervisor.status().map((s) => s.name).filter((n) => n === target || n.startsWith(`${target}-`));
  if (names.length === 0) throw new Error(`no stage called ${target} (known: ${supervisor.status().map((s) => s.name).join(', ')})`);
  return names;
}

/** SIGKILL a stage's process; returns the old PID (the supervisor restarts it on its own). */
export function killStage(supervisor: Supervisor, stage: string): number {
  const pid = supervisor.pids()[stage];
  if (!pid) throw new Error(`stage ${stage} has no running process`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** Wait until the supervisor has restarted `stage` (a new PID) and it answers its health check again. */
export async function restarted(supervisor: Supervisor, stage: string, oldPid: number, timeoutMs = 90_000): Promise<number> {
  return until(() => {
    const s = supervisor.status().find((x) => x.name === stage);
    return s && s.pid && s.pid !== oldPid && s.state === 'ready' ? s.pid : undefined;
  }, timeoutMs, `${stage} to be restarted and healthy`);
}
