import { invalidAttributeName, invalidAttributeValue, invalidValue } from './errors';

/** Settable queue attributes, normalized to the strings GetQueueAttributes returns. */
export type AttributeMap = Record<string, string>;

/** AWS's defaults for a new queue (per the 3.1175 SDK's CreateQueue documentation). */
export const STANDARD_DEFAULTS: Readonly<AttributeMap> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

export const FIFO_DEFAULTS: Readonly<AttributeMap> = {
  ...STANDARD_DEFAULTS,
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};

/** Attributes computed from the queue's state, never set by the caller. */
export const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
] as const;

const FIFO_ONLY = new Set(['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

/** Everything GetQueueAttributes accepts besides `All`. */
export const READABLE_ATTRIBUTES = new Set<string>([
  ...COMPUTED_ATTRIBUTES,
  ...Object.keys(FIFO_DEFAULTS),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
]);

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface AttributeCheckContext {
  fifo: boolean;
  /** CreateQueue may carry FifoQueue; SetQueueAttributes may not change it. */
  creating: boolean;
  /** Is there a queue with this ARN, and is it FIFO? (RedrivePolicy targets must exist and match the type.) */
  queueByArn(arn: string): { fifo: boolean } | undefined;
}

type Normalizer = (value: string, name: string, ctx: AttributeCheckContext) => string;

const intIn =
  (min: number, max: number): Normalizer =>
  (value, name) => {
    if (!/^\d{1,10}$/.test(value)) throw invalidAttributeValue(name);
    const n = Number(value);
    if (n < min || n > max) throw invalidAttributeValue(name);
    return String(n);
  };

const bool: Normalizer = (value, name) => {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') throw invalidAttributeValue(name);
  return v;
};

const oneOf =
  (...allowed: string[]): Normalizer =>
  (value, name) => {
    if (!allowed.includes(value)) throw invalidAttributeValue(name);
    return value;
  };

const jsonObjectOrEmpty: Normalizer = (value, name) => {
  if (value === '') return '';
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
  } catch {
    throw invalidAttributeValue(name);
  }
  return value;
};

const redrivePolicy: Normalizer = (value, name, ctx) => {
  if (value === '') return '';
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
  } catch {
    throw invalidValue(name, value, 'Redrive policy is not a valid JSON map.');
  }
  const arn = parsed.deadLetterTargetArn;
  if (typeof arn !== 'string' || !arn) throw invalidValue(name, value, 'Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
  const raw = parsed.maxReceiveCount;
  if (raw === undefined) throw invalidValue(name, value, 'Redrive policy does not contain mandatory attribute: maxReceiveCount.');
  const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw invalidValue(name, value, `Invalid value for maxReceiveCount: ${String(raw)}, valid values are from 1 to 1000 both inclusive.`);
  const target = ctx.queueByArn(arn);
  if (!target) throw invalidValue(name, value, 'Dead letter target does not exist.');
  if (target.fifo !== ctx.fifo) throw invalidValue(name, value, 'Dead-letter queue must be same type of queue as the source.');
  return JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: count } satisfies RedrivePolicy);
};

const redriveAllowPolicy: Normalizer = (value, name) => {
  if (value === '') return '';
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw invalidValue(name, value, 'Redrive allow policy is not a valid JSON map.');
  }
  if (!['allowAll', 'denyAll', 'byQueue'].includes(parsed?.redrivePermission as string))
    throw invalidValue(name, value, 'Invalid value for redrivePermission; valid values are allowAll, denyAll and byQueue.');
  return value;
};

const SETTABLE: Record<string, Normalizer> = {
  DelaySeconds: intIn(0, 900),
  MaximumMessageSize: intIn(1024, 1048576),
  MessageRetentionPeriod: intIn(60, 1209600),
  ReceiveMessageWaitTimeSeconds: intIn(0, 20),
  VisibilityTimeout: intIn(0, 43200),
  KmsDataKeyReusePeriodSeconds: intIn(60, 86400),
  KmsMasterKeyId: (v) => v,
  SqsManagedSseEnabled: bool,
  Policy: jsonObjectOrEmpty,
  RedrivePolicy: redrivePolicy,
  RedriveAllowPolicy: redriveAllowPolicy,
  FifoQueue: (value, name, ctx) => {
    const v = bool(value, name, ctx);
    if ((v === 'true') !== ctx.fifo) {
      if (ctx.creating) throw invalidAttributeValue(name, 'The name of a FIFO queue must end with the .fifo suffix, and only a FIFO queue may have it.');
      throw invalidAttributeValue(name, 'Modifying queue type is not supported.');
    }
    return v;
  },
  ContentBasedDeduplication: bool,
  DeduplicationScope: oneOf('messageGroup', 'queue'),
  FifoThroughputLimit: oneOf('perQueue', 'perMessageGroupId'),
};

/**
 * Validate the `Attributes` map of CreateQueue / SetQueueAttributes and return it normalized. Unknown and
 * read-only names are InvalidAttributeName; FIFO-only names on a standard queue too (as AWS answers).
 */
export function normalizeAttributes(input: unknown, ctx: AttributeCheckContext): AttributeMap {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalidValue('Attributes', input, 'Attributes must be a map of names to values.');
  const out: AttributeMap = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const normalize = Object.hasOwn(SETTABLE, name) ? SETTABLE[name] : undefined;
    if (!normalize || (FIFO_ONLY.has(name) && !ctx.fifo && !(name === 'FifoQueue' && ctx.creating))) throw invalidAttributeName(name);
    if (typeof value !== 'string') throw invalidAttributeValue(name);
    out[name] = normalize(value, name, ctx);
  }
  return out;
}

export function parseRedrivePolicy(value: string | undefined): RedrivePolicy | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as RedrivePolicy;
  } catch {
    return undefined;
  }
}

/** The names GetQueueAttributes should answer for `requested`, or InvalidAttributeName for an unknown one. */
export function resolveRequestedAttributes(requested: unknown): string[] {
  if (requested === undefined || requested === null) return [];
  if (!Array.isArray(requested)) throw invalidValue('AttributeNames', requested, 'AttributeNames must be a list.');
  const names = new Set<string>();
  for (const name of requested) {
    if (typeof name !== 'string') throw invalidAttributeName(String(name));
    if (name === 'All') for (const n of READABLE_ATTRIBUTES) names.add(n);
    else if (READABLE_ATTRIBUTES.has(name)) names.add(name);
    else throw invalidAttributeName(name);
  }
  return [...names];
}
