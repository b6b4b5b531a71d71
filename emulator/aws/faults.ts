import type { ServiceName } from './types';
import { AwsError } from './errors';

/**
 * Fault injection, per service and operation. The reliability suite flips these at runtime through
 * `POST /_furrow/faults`; they can also be given at start-up.
 */
export interface FaultRule {
  /** Which service; `*` for all. */
  service: ServiceName | '*';
  /** Operation name (`PutRecords`, `ReceiveMessage`, `PutObject`, ...); omitted = every operation. */
  operation?: string;
  /** Probability in [0, 1] that a matching request fails. Default 1 when `error` is set. */
  errorRate?: number;
  /** How it fails: the service's throttling error, a 500, or a hang that ends with the socket closed. */
  error?: 'throttle' | '500' | 'timeout';
  /** Added latency in ms for every matching request (failing or not). */
  latencyMs?: number;
  /** Apply to the next N matching requests only, then the rule retires itself. */
  count?: number;
  /** For `timeout`: how long to hang before closing the socket (default 30 s). */
  timeoutMs?: number;
}

export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'error'; error: AwsError; latencyMs: number }
  | { kind: 'timeout'; latencyMs: number; timeoutMs: number };

const THROTTLE: Record<ServiceName, () => AwsError> = {
  kinesis: () => new AwsError('ProvisionedThroughputExceededException', 'Rate exceeded for shard (injected fault).', 400),
  dynamodb: () =>
    new AwsError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded (injected fault).', 400),
  sqs: () => new AwsError('RequestThrottled', 'Request is throttled (injected fault).', 400, {}, { 'x-amzn-query-error': 'RequestThrottled;Sender' }),
  s3: () => new AwsError('SlowDown', 'Please reduce your request rate (injected fault).', 503),
};

const INTERNAL: Record<ServiceName, () => AwsError> = {
  kinesis: () => new AwsError('InternalFailure', 'Internal service failure (injected fault).', 500),
  dynamodb: () => new AwsError('InternalServerError', 'Internal server error (injected fault).', 500),
  sqs: () => new AwsError('InternalFailure', 'Internal failure (injected fault).', 500),
  s3: () => new AwsError('InternalError', 'We encountered an internal error. Please try again. (injected fault)', 500),
};

export function validateFaultRule(rule: unknown): FaultRule {
  if (typeof rule !== 'object' || rule === null) throw new Error('a fault rule must be an object');
  const r = rule as Record<string, unknown>;
  const services = ['kinesis', 'sqs', 'dynamodb', 's3', '*'];
  if (typeof r.service !== 'string' || !services.includes(r.service)) throw new Error(`fault rule: service must be one of ${services.join(', ')}`);
  if (r.operation !== undefined && typeof r.operation !== 'string') throw new Error('fault rule: operation must be a string');
  if (r.errorRate !== undefined && (typeof r.errorRate !== 'number' || r.errorRate < 0 || r.errorRate > 1))
    throw new Error('fault rule: errorRate must be a number in [0, 1]');
  if (r.error !== undefined && !['throttle', '500', 'timeout'].includes(r.error as string))
    throw new Error("fault rule: error must be 'throttle', '500' or 'timeout'");
  for (const k of ['latencyMs', 'count', 'timeoutMs'] as const)
    if (r[k] !== undefined && (typeof r[k] !== 'number' || (r[k] as number) < 0)) throw new Error(`fault rule: ${k} must be a non-negative number`);
  return r as unknown as FaultRule;
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  constructor(initial: FaultRule[] = [], private readonly random: () => number = Math.random) {
    this.set(initial);
  }

  set(rules: FaultRule[]): void {
    this.rules = rules.map(validateFaultRule).map((r) => ({ ...r }));
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...validateFaultRule(rule) });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decide the fate of one request. Cheap when no rules are set (the common case). */
  decide(service: ServiceName, operation: string): FaultDecision {
    if (this.rules.length === 0) return { kind: 'none', latencyMs: 0 };
    let latencyMs = 0;
    let decision: FaultDecision | null = null;
    for (const rule of this.rules) {
      if (rule.service !== '*' && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.count !== undefined) {
        if (rule.count <= 0) continue;
        rule.count--;
      }
      latencyMs += rule.latencyMs ?? 0;
      if (!decision && rule.error && this.random() < (rule.errorRate ?? 1)) {
        if (rule.error === 'timeout') decision = { kind: 'timeout', latencyMs: 0, timeoutMs: rule.timeoutMs ?? 30_000 };
        else decision = { kind: 'error', error: (rule.error === 'throttle' ? THROTTLE : INTERNAL)[service](), latencyMs: 0 };
      }
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.count > 0);
    if (decision) return { ...decision, latencyMs };
    return { kind: 'none', latencyMs };
  }
}
