import { AwsError, validation } from '../../errors';
import type { Item } from '../attribute-values';
import type { Database, Table } from '../database';
import type { Condition, Operand } from '../expressions/ast';
import { evaluateCondition, project } from '../expressions/evaluate';
import { analyzeKeyCondition } from '../expressions/key-condition';
import { filterCondition, keyConditions } from '../expressions/legacy';
import { ExpressionScope, type ResolvedPath } from '../expressions/scope';
import type { KeyPosition, StoredItem } from '../item-store';
import {
  attributesToGet,
  checkLegacyParameters,
  constraint,
  consumedCapacity,
  CONSUMED_CAPACITY_MODES,
  optionalEnum,
  optionalLimit,
  readUnits,
  requireKey,
  requireTableName,
} from '../requests';

/** Query and Scan: key-ordered pages, Limit counts items evaluated (before the filter), 1 MB per page. */

const MAX_PAGE_BYTES = 1024 * 1024;
const SELECT = ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'] as const;
type Select = (typeof SELECT)[number];

const present = (v: unknown) => v !== undefined && v !== null;

interface ReadPlan {
  table: Table;
  scope: ExpressionScope;
  filter?: Condition;
  projection?: ResolvedPath[];
  select: Select;
  limit?: number;
  start?: KeyPosition;
  consistent: boolean;
  capacityMode?: (typeof CONSUMED_CAPACITY_MODES)[number];
}

function rejectIndex(input: Record<string, unknown>): void {
  if (present(input.IndexName)) {
    const index = requireTableName(input.IndexName, 'indexName', 3);
    throw validation(`The table does not have the specified index: ${index}`);
  }
}

function planSelect(input: Record<string, unknown>, projection: ResolvedPath[] | undefined): Select {
  const select = optionalEnum(input.Select, 'select', SELECT);
  if (select === 'ALL_PROJECTED_ATTRIBUTES') throw validation('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  const projectionMember = present(input.ProjectionExpression) ? 'ProjectionExpression' : 'AttributesToGet';
  if (select === 'SPECIFIC_ATTRIBUTES' && !projection)
    throw validation('Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
  if (select === 'COUNT' && projection) throw validation(`Cannot specify the ${projectionMember} when choosing to get only the Count`);
  if (select === 'ALL_ATTRIBUTES' && projection) throw validation(`Cannot specify the ${projectionMember} when choosing to get ALL_ATTRIBUTES`);
  return select ?? (projection ? 'SPECIFIC_ATTRIBUTES' : 'ALL_ATTRIBUTES');
}

function startKey(table: Table, raw: unknown): KeyPosition | undefined {
  if (!present(raw)) return undefined;
  try {
    return requireKey(table, raw, 'exclusiveStartKey').position;
  } catch (err) {
    if (err instanceof AwsError && err.code === 'ValidationException') throw validation(`The provided starting key is invalid: ${err.message}`);
    throw err;
  }
}

/** Attribute names at the root of every path in a condition (Query filters may not touch key attributes). */
function rootNames(c: Condition, scope: ExpressionScope, out: Set<string>): Set<string> {
  const operand = (o: Operand) => {
    if (o.kind === 'path') out.add(scope.resolve(o)[0] as string);
    else if (o.kind === 'call') o.args.forEach(operand);
    else if (o.kind === 'arith') [o.left, o.right].forEach(operand);
  };
  switch (c.kind) {
    case 'and':
    case 'or':
      rootNames(c.left, scope, out);
      rootNames(c.right, scope, out);
      break;
    case 'not':
      rootNames(c.operand, scope, out);
      break;
    case 'compare':
      [c.left, c.right].forEach(operand);
      break;
    case 'between':
      [c.target, c.low, c.high].forEach(operand);
      break;
    case 'in':
      [c.target, ...c.list].forEach(operand);
      break;
    case 'function':
      c.args.forEach(operand);
      break;
  }
  return out;
}

/** Runs the page loop shared by Query and Scan over `source` (already positioned after the start key). */
function readPage(plan: ReadPlan, source: Iterable<StoredItem>): Record<string, unknown> {
  const items: Item[] = [];
  let count = 0;
  let scanned = 0;
  let bytes = 0;
  let lastEvaluated: Item | undefined;
  for (const stored of source) {
    scanned++;
    bytes += stored.size;
    if (!plan.filter || evaluateCondition(plan.filter, stored.item, plan.scope)) {
      count++;
      if (plan.select !== 'COUNT') items.push(plan.projection ? project(stored.item, plan.projection) : stored.item);
    }
    // Like AWS, a page that stops at Limit (or 1 MB) carries a LastEvaluatedKey even if nothing follows.
    if ((plan.limit !== undefined && scanned >= plan.limit) || bytes >= MAX_PAGE_BYTES) {
      lastEvaluated = plan.table.store.keyOf(stored.item);
      break;
    }
  }
  const capacity = consumedCapacity(plan.capacityMode, plan.table.meta.name, 'read', readUnits(bytes, plan.consistent));
  return {
    ...(plan.select !== 'COUNT' ? { Items: items } : {}),
    Count: count,
    ScannedCount: scanned,
    ...(lastEvaluated ? { LastEvaluatedKey: lastEvaluated } : {}),
    ...(capacity ? { ConsumedCapacity: capacity } : {}),
  };
}

/** 32-bit FNV-1a of a hash key payload: which parallel-scan segment a partition belongs to. */
function segmentOf(hash: string, totalSegments: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < hash.length; i++) {
    h ^= hash.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % totalSegments;
}

function optionalInteger(raw: unknown, member: string, min: number, max: number): number | undefined {
  if (!present(raw)) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw)) throw new AwsError('SerializationException', `Unexpected value type for ${member}`);
  if (raw < min) throw constraint(raw, member, `Member must have value greater than or equal to ${min}`);
  if (raw > max) throw constraint(raw, member, `Member must have value less than or equal to ${max}`);
  return raw;
}

export class ReadOperations {
  constructor(private readonly db: Database) {}

  query(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, ['KeyConditions', 'QueryFilter', 'ConditionalOperator', 'AttributesToGet'], ['KeyConditionExpression', 'FilterExpression', 'ProjectionExpression']);
    rejectIndex(input);
    const limit = optionalLimit(input.Limit);
    const capacityMode = optionalEnum(input.ReturnConsumedCapacity, 'returnConsumedCapacity', CONSUMED_CAPACITY_MODES);
    if (!present(input.KeyConditionExpression) && !present(input.KeyConditions))
      throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    const usesExpressions = present(input.KeyConditionExpression);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues, usesExpressions);
    const keyCondition = analyzeKeyCondition(
      usesExpressions ? scope.condition('KeyConditionExpression', input.KeyConditionExpression as string) : keyConditions(scope, input.KeyConditions),
      table.schema,
      scope,
    );
    const filter = present(input.FilterExpression)
      ? scope.condition('FilterExpression', input.FilterExpression as string)
      : present(input.QueryFilter)
        ? filterCondition(scope, input.QueryFilter, input.ConditionalOperator)
        : undefined;
    const projection = present(input.ProjectionExpression) ? scope.projection(input.ProjectionExpression as string) : attributesToGet(input.AttributesToGet);
    scope.finish();
    if (filter)
      for (const name of rootNames(filter, scope, new Set()))
        if (table.isKeyAttribute(name)) throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${name}`);
    const select = planSelect(input, projection);
    const start = startKey(table, input.ExclusiveStartKey);
    if (start && start.hash !== keyCondition.hash) throw validation('The provided starting key is invalid: Exclusive Start Key must have same hash key value as the query');
    const forward = input.ScanIndexForward !== false;
    return readPage(
      { table, scope, filter, projection, select, limit, start, consistent: input.ConsistentRead === true, capacityMode },
      table.store.query(keyCondition.hash, keyCondition.range, forward, start),
    );
  }

  scan(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, ['ScanFilter', 'ConditionalOperator', 'AttributesToGet'], ['FilterExpression', 'ProjectionExpression']);
    rejectIndex(input);
    const limit = optionalLimit(input.Limit);
    const capacityMode = optionalEnum(input.ReturnConsumedCapacity, 'returnConsumedCapacity', CONSUMED_CAPACITY_MODES);
    const segment = optionalInteger(input.Segment, 'segment', 0, 999_999);
    const totalSegments = optionalInteger(input.TotalSegments, 'totalSegments', 1, 1_000_000);
    if (segment !== undefined && totalSegments === undefined)
      throw validation('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
    if (totalSegments !== undefined && segment === undefined)
      throw validation('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
    if (segment !== undefined && totalSegments !== undefined && segment >= totalSegments)
      throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${totalSegments}`);
    const usesExpressions = present(input.FilterExpression) || present(input.ProjectionExpression);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues, usesExpressions);
    const filter = present(input.FilterExpression)
      ? scope.condition('FilterExpression', input.FilterExpression as string)
      : present(input.ScanFilter)
        ? filterCondition(scope, input.ScanFilter, input.ConditionalOperator)
        : undefined;
    const projection = present(input.ProjectionExpression) ? scope.projection(input.ProjectionExpression as string) : attributesToGet(input.AttributesToGet);
    scope.finish();
    const select = planSelect(input, projection);
    const start = startKey(table, input.ExclusiveStartKey);
    let source: Iterable<StoredItem> = table.store.scan(start);
    if (totalSegments !== undefined && totalSegments > 1) source = inSegment(source, table, segment!, totalSegments);
    return readPage({ table, scope, filter, projection, select, limit, start, consistent: input.ConsistentRead === true, capacityMode }, source);
  }
}

function* inSegment(source: Iterable<StoredItem>, table: Table, segment: number, totalSegments: number): Generator<StoredItem> {
  let lastHash: string | undefined;
  let lastSegment = -1;
  for (const stored of source) {
    const hash = table.store.positionOf(stored.item).hash;
    if (hash !== lastHash) {
      lastHash = hash;
      lastSegment = segmentOf(hash, totalSegments);
    }
    if (lastSegment === segment) yield stored;
  }
}
