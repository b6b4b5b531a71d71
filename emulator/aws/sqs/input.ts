import { invalidParameterValue, invalidValue, missingParameter, sqsError } from './errors';
import { isBinaryType, type MessageAttributeValue } from './md5';

/**
 * Readers for request fields. The SDK sends well-typed JSON, but anything can reach the port, so every field
 * is checked and a wrong one becomes AWS's error rather than a crash.
 */

export function requiredString(input: Record<string, unknown>, name: string): string {
  const v = input[name];
  if (v === undefined || v === null || v === '') throw missingParameter(name);
  if (typeof v !== 'string') throw invalidValue(name, v, `${name} must be a string.`);
  return v;
}

export function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidValue(name, v, `${name} must be a string.`);
  return v;
}

/** An optional integer within [min, max]; `reason` is AWS's wording for the range. */
export function optionalInt(input: Record<string, unknown>, name: string, min: number, max: number, reason?: string): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidValue(name, v, reason ?? `Must be >= ${min} and <= ${max}, if provided.`);
  return v;
}

export function optionalStringList(input: Record<string, unknown>, name: string): string[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidValue(name, v, `${name} must be a list of strings.`);
  return v as string[];
}

export function optionalMap(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidValue(name, v, `${name} must be a map.`);
  return v as Record<string, unknown>;
}

const STANDARD_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

export function validateQueueName(name: string, fifo: boolean): void {
  if (fifo) {
    if (!FIFO_NAME.test(name))
      throw invalidParameterValue(
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
      );
  } else if (!STANDARD_NAME.test(name)) {
    throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
  }
}

/** The queue name in a QueueUrl: its last path segment, whatever the host (AWS clients may rewrite hosts). */
export function queueNameFromUrl(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  const slash = url.lastIndexOf('/', end - 1);
  return url.slice(slash + 1, end);
}

// XML 1.0 characters, which is what SQS accepts in bodies and string attribute values.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function validateMessageBody(body: string): void {
  const bad = INVALID_CHAR.exec(body);
  if (bad)
    throw sqsError(
      'InvalidMessageContents',
      `Invalid binary character '#x${bad[0].codePointAt(0)!.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export interface ValidatedAttributes {
  attributes: Record<string, MessageAttributeValue>;
  /** Bytes counted toward MaximumMessageSize (name + type + value of each). */
  size: number;
}

/**
 * Validate `MessageAttributes` (user) or `MessageSystemAttributes` (`system`: only AWSTraceHeader) and keep
 * only the fields that matter. Binary values stay base64 as they came.
 */
export function validateMessageAttributes(raw: unknown, system = false): ValidatedAttributes | undefined {
  if (raw === undefined || raw === null) return undefined;
  const param = system ? 'MessageSystemAttributes' : 'MessageAttributes';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidValue(param, raw, `${param} must be a map.`);
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > 10) throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  // Built as entries: a name like `__proto__` must stay an ordinary key.
  const attributes: [string, MessageAttributeValue][] = [];
  let size = 0;
  for (const [name, value] of entries) {
    if (system) {
      if (name !== 'AWSTraceHeader') throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    } else if (
      !ATTRIBUTE_NAME.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..') ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty valid message attribute name.`);
    }
    if (typeof value !== 'object' || value === null) throw invalidParameterValue(`The message attribute '${name}' must contain a value.`);
    const v = value as Record<string, unknown>;
    const dataType = v.DataType;
    if (typeof dataType !== 'string' || dataType.length > 256 || !/^(String|Number|Binary)(\.[^\s]+)?$/.test(dataType))
      throw invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    if ((Array.isArray(v.StringListValues) && v.StringListValues.length) || (Array.isArray(v.BinaryListValues) && v.BinaryListValues.length))
      throw invalidParameterValue(`Message attribute list values in ${param} are not supported.`);
    if (system && dataType !== 'String') throw invalidParameterValue(`The message system attribute '${name}' must be of type String.`);
    if (isBinaryType(dataType)) {
      const b = v.BinaryValue;
      if (typeof b !== 'string' || b.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b))
        throw invalidParameterValue(`The message attribute '${name}' with type '${dataType}' must use field 'Binary'.`);
      attributes.push([name, { DataType: dataType, BinaryValue: b }]);
      size += Buffer.byteLength(name) + Buffer.byteLength(dataType) + Buffer.from(b, 'base64').length;
    } else {
      const s = v.StringValue;
      if (typeof s !== 'string' || s.length === 0)
        throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
      if (INVALID_CHAR.test(s)) throw sqsError('InvalidMessageContents', `The message attribute '${name}' contains invalid characters.`);
      if (dataType.startsWith('Number') && !NUMBER.test(s)) throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      attributes.push([name, { DataType: dataType, StringValue: s }]);
      size += Buffer.byteLength(name) + Buffer.byteLength(dataType) + Buffer.byteLength(s);
    }
  }
  return { attributes: Object.fromEntries(attributes), size };
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The `Entries` of a batch call: 1-10 objects with distinct, well-formed Ids. */
export function batchEntries(input: Record<string, unknown>, entryShape: string): Record<string, unknown>[] {
  const entries = input.Entries;
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0))
    throw sqsError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`);
  if (!Array.isArray(entries)) throw invalidValue('Entries', entries, 'Entries must be a list.');
  if (entries.length > 10) throw sqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw invalidValue('Entries', e, `Each entry must be a ${entryShape}.`);
    const id = (e as Record<string, unknown>).Id;
    if (typeof id !== 'string' || !BATCH_ID.test(id))
      throw sqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (seen.has(id)) throw sqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Record<string, unknown>[];
}

const TOKEN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/** MessageGroupId / MessageDeduplicationId: 1-128 alphanumerics and punctuation. */
export function validateToken(name: string, value: string): void {
  if (!TOKEN.test(value)) throw invalidValue(name, value, `${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
}
