import { invalidAttributeName } from './errors';
import { md5OfAttributes, type MessageAttributeValue } from './md5';
import { encodeReceiptHandle, type SqsMessage } from './message';
import { READABLE_ATTRIBUTES } from './attributes';
import type { SqsQueue } from './queue';

/** Message system attributes ReceiveMessage can return. */
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;
const SYSTEM_ATTRIBUTE_SET = new Set<string>(SYSTEM_ATTRIBUTES);

/** Which system and user attributes a ReceiveMessage asked for, resolved once per call. */
export interface ReceiveSelection {
  system: readonly string[];
  /** `all` for All / `.*`; otherwise exact names and `prefix.*` prefixes. */
  user: { all: boolean; names: Set<string>; prefixes: string[] } | undefined;
}

/**
 * `AttributeNames` (deprecated, typed as queue attribute names) and `MessageSystemAttributeNames` together.
 * Queue attribute names in the old list are accepted and ignored, as AWS does; anything else is unknown.
 */
export function resolveReceiveSelection(attributeNames: string[] | undefined, systemNames: string[] | undefined, userNames: string[] | undefined): ReceiveSelection {
  const system = new Set<string>();
  for (const list of [attributeNames, systemNames]) {
    for (const name of list ?? []) {
      if (name === 'All') SYSTEM_ATTRIBUTES.forEach((n) => system.add(n));
      else if (SYSTEM_ATTRIBUTE_SET.has(name)) system.add(name);
      else if (!(list === attributeNames && READABLE_ATTRIBUTES.has(name))) throw invalidAttributeName(name);
    }
  }
  let user: ReceiveSelection['user'];
  if (userNames && userNames.length) {
    user = { all: false, names: new Set(), prefixes: [] };
    for (const n of userNames) {
      if (n === 'All' || n === '.*') user.all = true;
      else if (n.endsWith('.*')) user.prefixes.push(n.slice(0, -1));
      else user.names.add(n);
    }
  }
  return { system: [...system], user };
}

export function renderMessage(q: SqsQueue, m: SqsMessage, sel: ReceiveSelection): Record<string, unknown> {
  const out: Record<string, unknown> = {
    MessageId: m.id,
    ReceiptHandle: encodeReceiptHandle(q.incarnation, m.id, m.receiveCount),
    MD5OfBody: m.md5OfBody,
    Body: m.body,
  };
  if (sel.system.length) {
    const attrs: Record<string, string> = {};
    for (const name of sel.system) {
      const v = systemAttribute(m, name);
      if (v !== undefined) attrs[name] = v;
    }
    out.Attributes = attrs;
  }
  if (sel.user && m.attributes) {
    const chosen = selectUserAttributes(m.attributes, sel.user);
    if (chosen) {
      out.MessageAttributes = chosen;
      // The digest covers exactly the attributes returned, which is what SDKs that verify it recompute.
      out.MD5OfMessageAttributes = chosen === m.attributes ? m.md5OfAttributes : md5OfAttributes(chosen);
    }
  }
  return out;
}

function systemAttribute(m: SqsMessage, name: string): string | undefined {
  switch (name) {
    case 'SenderId':
      return m.senderId;
    case 'SentTimestamp':
      return String(m.sentAt);
    case 'ApproximateReceiveCount':
      return String(m.receiveCount);
    case 'ApproximateFirstReceiveTimestamp':
      return m.firstReceiveAt === undefined ? undefined : String(m.firstReceiveAt);
    case 'SequenceNumber':
      return m.sequenceNumber;
    case 'MessageDeduplicationId':
      return m.dedupId;
    case 'MessageGroupId':
      return m.groupId;
    case 'AWSTraceHeader':
      return m.traceHeader;
    case 'DeadLetterQueueSourceArn':
      return m.deadLetterSourceArn;
  }
  return undefined;
}

function selectUserAttributes(
  attrs: Record<string, MessageAttributeValue>,
  sel: NonNullable<ReceiveSelection['user']>,
): Record<string, MessageAttributeValue> | undefined {
  if (sel.all) return attrs;
  const chosen = Object.entries(attrs).filter(([name]) => sel.names.has(name) || sel.prefixes.some((p) => name.startsWith(p)));
  return chosen.length ? Object.fromEntries(chosen) : undefined;
}

/** GetQueueAttributes values for `names` (already validated). */
export function renderQueueAttributes(q: SqsQueue, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = queueAttribute(q, name);
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

function queueAttribute(q: SqsQueue, name: string): string | undefined {
  switch (name) {
    case 'QueueArn':
      return q.arn;
    case 'ApproximateNumberOfMessages':
      return String(q.readyCount);
    case 'ApproximateNumberOfMessagesNotVisible':
      return String(q.inflightCount);
    case 'ApproximateNumberOfMessagesDelayed':
      return String(q.delayedCount);
    case 'CreatedTimestamp':
      return String(Math.floor(q.createdAt / 1000));
    case 'LastModifiedTimestamp':
      return String(Math.floor(q.lastModifiedAt / 1000));
    default:
      return q.attributes[name];
  }
}
