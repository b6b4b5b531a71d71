import { AwsError, validation } from '../errors';
import { itemSize, MAX_ITEM_BYTES, normalizeItem, typeOf, type Item } from './attribute-values';
import type { Table } from './database';
import type { KeyPosition } from './item-store';

/** Request validation shared by the operations, with AWS's wording. */

const TABLE_NAME = /^[a-zA-Z0-9_.-]+$/;

/** `1 validation error detected: ...` for one member. */
export function constraint(value: unknown, member: string, rule: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]*:\d*:table\/([a-zA-Z0-9_.-]{3,255})$/;

/** A table name, or (as AWS accepts since 2024 for everything but CreateTable) a table ARN. */
export function requireTableName(raw: unknown, member = 'tableName', minLength = 1, allowArn = true): string {
  if (raw === undefined || raw === null) throw constraint(raw, member, 'Member must not be null');
  if (typeof raw !== 'string') throw new AwsError('SerializationException', `Unexpected value type for ${member}`);
  const arn = allowArn ? TABLE_ARN.exec(raw) : null;
  if (arn) return arn[1]!;
  if (raw.length < minLength) throw constraint(raw, member, `Member must have length greater than or equal to ${minLength}`);
  if (raw.length > 255) throw constraint(raw, member, 'Member must have length less than or equal to 255');
  if (!TABLE_NAME.test(raw)) throw constraint(raw, member, 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+');
  return raw;
}

export function optionalEnum<T extends string>(raw: unknown, member: string, allowed: readonly T[]): T | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!allowed.includes(raw as T)) throw constraint(raw, member, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return raw as T;
}

export function optionalLimit(raw: unknown, member = 'limit'): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw new AwsError('SerializationException', `Unexpected value type for ${member}`);
  if (raw < 1) throw constraint(raw, member, 'Member must have value greater than or equal to 1');
  return raw;
}

function emptyKeyError(name: string, type: string): AwsError {
  const what = type === 'B' ? 'binary' : 'string';
  return validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${what} value. Key: ${name}`);
}

function isEmptyScalar(v: Item[string]): boolean {
  return ('S' in v && v.S.length === 0) || ('B' in v && v.B.length === 0);
}

/** A `Key` map: exactly the table's key attributes, of the declared types. */
export function requireKey(table: Table, raw: unknown, member = 'key'): { key: Item; position: KeyPosition } {
  if (raw === undefined || raw === null) throw constraint(raw, member, 'Member must not be null');
  const key = normalizeItem(raw, member);
  const { hash, range } = table.schema;
  const expected = range ? 2 : 1;
  if (Object.keys(key).length !== expected) throw validation('The provided key element does not match the schema');
  for (const k of range ? [hash, range] : [hash]) {
    const v = key[k.name];
    if (!v || typeOf(v) !== k.type) throw validation('The provided key element does not match the schema');
  }
  for (const k of range ? [hash, range] : [hash]) if (isEmptyScalar(key[k.name]!)) throw emptyKeyError(k.name, k.type);
  return { key, position: table.store.positionOf(key) };
}

/**
 * A whole item for PutItem / BatchWriteItem: key attributes present with the declared types, size within
 * 400 KB. BatchWriteItem reports key problems with the generic schema message, as AWS does.
 */
export function requireItem(table: Table, raw: unknown, style: 'put' | 'batch' = 'put'): { item: Item; size: number } {
  if (raw === undefined || raw === null) throw constraint(raw, 'item', 'Member must not be null');
  const item = normalizeItem(raw, 'item');
  const { hash, range } = table.schema;
  for (const k of range ? [hash, range] : [hash]) {
    const v = item[k.name];
    if (!v) {
      if (style === 'batch') throw validation('The provided key element does not match the schema');
      throw validation(`One or more parameter values were invalid: Missing the key ${k.name} in the item`);
    }
    if (typeOf(v) !== k.type) {
      if (style === 'batch') throw validation('The provided key element does not match the schema');
      throw validation(`One or more parameter values were invalid: Type mismatch for key ${k.name} expected: ${k.type} actual: ${typeOf(v)}`);
    }
    if (isEmptyScalar(v)) throw emptyKeyError(k.name, k.type);
  }
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
  return { item, size };
}

/** AWS refuses a request that mixes legacy (pre-expression) parameters with expression parameters. */
export function checkLegacyParameters(input: Record<string, unknown>, legacy: readonly string[], expressions: readonly string[]): void {
  const given = (members: readonly string[]) => members.filter((m) => input[m] !== undefined && input[m] !== null);
  const legacyGiven = given(legacy);
  const expressionsGiven = given(expressions);
  if (legacyGiven.length && expressionsGiven.length)
    throw validation(
      `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacyGiven.join(', ')}} Expression parameters: {${expressionsGiven.join(', ')}}`,
    );
}

/** AttributesToGet: a list of top-level attribute names (no duplicates). */
export function attributesToGet(raw: unknown): string[][] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) throw constraint(raw, 'attributesToGet', 'Member must have length greater than or equal to 1');
  if (new Set(raw).size !== raw.length) throw validation('One or more parameter values were invalid: Duplicate value in attribute name: ' + raw.join(', '));
  return raw.map((n) => [String(n)]);
}

export type ConsumedCapacityMode = 'INDEXES' | 'TOTAL' | 'NONE';

/** Capacity units: reads in 4 KB steps (half for eventually consistent), writes in 1 KB steps. */
export function consumedCapacity(
  mode: ConsumedCapacityMode | undefined,
  tableName: string,
  kind: 'read' | 'write',
  units: number,
): Record<string, unknown> | undefined {
  if (!mode || mode === 'NONE') return undefined;
  const out: Record<string, unknown> = {
    TableName: tableName,
    CapacityUnits: units,
    [kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits']: units,
  };
  if (mode === 'INDEXES') out.Table = { CapacityUnits: units, [kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits']: units };
  return out;
}

export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

export const CONSUMED_CAPACITY_MODES = ['INDEXES', 'TOTAL', 'NONE'] as const;

/** ConditionalCheckFailedException, carrying the old item when ReturnValuesOnConditionCheckFailure is ALL_OLD. */
export function conditionalCheckFailed(old: Item | undefined, returnOnFailure: unknown): AwsError {
  const fields = returnOnFailure === 'ALL_OLD' && old ? { Item: old } : {};
  return new AwsError('ConditionalCheckFailedException', 'The conditional request failed', 400, {}, {}, fields);
}

type MemberType = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** JSON types of the top-level members the service reads; anything else-typed is a SerializationException. */
const MEMBER_TYPES: Record<string, MemberType> = {
  TableName: 'string',
  IndexName: 'string',
  ConditionExpression: 'string',
  UpdateExpression: 'string',
  ProjectionExpression: 'string',
  FilterExpression: 'string',
  KeyConditionExpression: 'string',
  ReturnValues: 'string',
  ReturnConsumedCapacity: 'string',
  ReturnItemCollectionMetrics: 'string',
  ReturnValuesOnConditionCheckFailure: 'string',
  Select: 'string',
  BillingMode: 'string',
  ExclusiveStartTableName: 'string',
  ConditionalOperator: 'string',
  TableClass: 'string',
  ResourceArn: 'string',
  ConsistentRead: 'boolean',
  ScanIndexForward: 'boolean',
  DeletionProtectionEnabled: 'boolean',
  Limit: 'number',
  Segment: 'number',
  TotalSegments: 'number',
  Item: 'object',
  Key: 'object',
  ExpressionAttributeNames: 'object',
  ExpressionAttributeValues: 'object',
  ExclusiveStartKey: 'object',
  RequestItems: 'object',
  ProvisionedThroughput: 'object',
  Expected: 'object',
  AttributeUpdates: 'object',
  KeyConditions: 'object',
  QueryFilter: 'object',
  ScanFilter: 'object',
  TimeToLiveSpecification: 'object',
  StreamSpecification: 'object',
  SSESpecification: 'object',
  PutRequest: 'object',
  DeleteRequest: 'object',
  KeySchema: 'array',
  AttributeDefinitions: 'array',
  GlobalSecondaryIndexes: 'array',
  LocalSecondaryIndexes: 'array',
  GlobalSecondaryIndexUpdates: 'array',
  ReplicaUpdates: 'array',
  Tags: 'array',
  TagKeys: 'array',
  AttributesToGet: 'array',
  Keys: 'array',
  TransactItems: 'array',
  ClientRequestToken: 'string',
};

function jsonType(v: unknown): MemberType | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as MemberType;
}

/** Rejects wrongly typed members up front, so handlers can trust the shapes they read. */
export function checkMemberTypes(input: unknown, where = 'request'): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new AwsError('SerializationException', `Unexpected value type in ${where}: expected an object`);
  for (const [member, value] of Object.entries(input)) {
    const expected = MEMBER_TYPES[member];
    if (!expected || value === null || value === undefined) continue;
    if (jsonType(value) !== expected)
      throw new AwsError('SerializationException', `Unexpected value type for ${member}: expected ${expected === 'array' ? 'a list' : `a ${expected}`}`);
  }
}
