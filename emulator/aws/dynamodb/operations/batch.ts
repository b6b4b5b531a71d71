import { validation } from '../../errors';
import type { Item } from '../attribute-values';
import type { Database, JournalRecord } from '../database';
import { project } from '../expressions/evaluate';
import { ExpressionScope } from '../expressions/scope';
import {
  attributesToGet,
  checkLegacyParameters,
  checkMemberTypes,
  consumedCapacity,
  CONSUMED_CAPACITY_MODES,
  optionalEnum,
  readUnits,
  requireItem,
  requireKey,
  requireTableName,
  writeUnits,
} from '../requests';

/** BatchWriteItem (≤ 25 puts/deletes) and BatchGetItem (≤ 100 keys). Nothing is ever left unprocessed by throttling. */

const MAX_WRITES = 25;
const MAX_GETS = 100;
/** BatchGetItem answers at most 16 MB; keys beyond that come back in UnprocessedKeys, as on AWS. */
const MAX_BATCH_GET_BYTES = 16 * 1024 * 1024;

function requestItems(raw: unknown, operation: string): [string, unknown][] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0)
    throw validation(`The requestItems parameter is required for ${operation}`);
  return Object.entries(raw);
}

const positionKey = (hash: string, range: string | undefined) => (range === undefined ? hash : `${hash}\u0000${range}`);

export class BatchOperations {
  constructor(private readonly db: Database) {}

  batchWriteItem(input: Record<string, unknown>): unknown {
    const entries = requestItems(input.RequestItems, 'BatchWriteItem');
    const mode = optionalEnum(input.ReturnConsumedCapacity, 'returnConsumedCapacity', CONSUMED_CAPACITY_MODES);
    let total = 0;
    for (const [name, requests] of entries) {
      requireTableName(name, 'requestItems.key');
      if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_WRITES)
        throw validation(
          `1 validation error detected: Value '{${name}=[${Array.isArray(requests) ? requests.length : 0} requests]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
        );
      total += requests.length;
    }
    if (total > MAX_WRITES) throw validation('Too many items requested for the BatchWriteItem call');
    // Validate everything before writing anything: a bad request fails the whole batch, as on AWS.
    const records: JournalRecord[] = [];
    const capacity: Record<string, number> = {};
    for (const [name, requests] of entries) {
      const table = this.db.table(requireTableName(name, 'requestItems.key'));
      const seen = new Set<string>();
      for (const request of requests as Record<string, unknown>[]) {
        checkMemberTypes(request, 'WriteRequest');
        const put = request?.PutRequest as { Item?: unknown } | undefined;
        const del = request?.DeleteRequest as { Key?: unknown } | undefined;
        if ((put ? 1 : 0) + (del ? 1 : 0) !== 1)
          throw validation('Invalid WriteRequest: exactly one of PutRequest or DeleteRequest must be given');
        let position;
        if (put) {
          const { item, size } = requireItem(table, put.Item, 'batch');
          position = table.store.positionOf(item);
          records.push({ op: 'put', table: table.meta.name, item });
          capacity[name] = (capacity[name] ?? 0) + writeUnits(size);
        } else {
          const { key, position: p } = requireKey(table, del!.Key);
          position = p;
          records.push({ op: 'delete', table: table.meta.name, key });
          capacity[name] = (capacity[name] ?? 0) + writeUnits(table.store.get(p)?.size ?? 0);
        }
        const id = positionKey(position.hash, position.range);
        if (seen.has(id)) throw validation('Provided list of item keys contains duplicates');
        seen.add(id);
      }
    }
    this.db.commit(records);
    const consumed = Object.entries(capacity)
      .map(([name, units]) => consumedCapacity(mode, name, 'write', units))
      .filter((c) => c !== undefined);
    return { UnprocessedItems: {}, ...(consumed.length ? { ConsumedCapacity: consumed } : {}) };
  }

  batchGetItem(input: Record<string, unknown>): unknown {
    const entries = requestItems(input.RequestItems, 'BatchGetItem');
    const mode = optionalEnum(input.ReturnConsumedCapacity, 'returnConsumedCapacity', CONSUMED_CAPACITY_MODES);
    let total = 0;
    for (const [name, request] of entries) {
      requireTableName(name, 'requestItems.key');
      const keys = (request as { Keys?: unknown })?.Keys;
      if (!Array.isArray(keys) || keys.length === 0)
        throw validation(`1 validation error detected: Value null at 'RequestItems.${name}.member.Keys' failed to satisfy constraint: Member must not be null`);
      if (keys.length > MAX_GETS)
        throw validation(`1 validation error detected: Value at 'RequestItems.${name}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100`);
      total += keys.length;
    }
    if (total > MAX_GETS) throw validation('Too many items requested for the BatchGetItem call');
    const responses: Record<string, Item[]> = {};
    const unprocessed: Record<string, Record<string, unknown>> = {};
    const consumed: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const [name, rawRequest] of entries) {
      checkMemberTypes(rawRequest, 'KeysAndAttributes');
      const request = rawRequest as Record<string, unknown>;
      const table = this.db.table(requireTableName(name, 'requestItems.key'));
      checkLegacyParameters(request, ['AttributesToGet'], ['ProjectionExpression']);
      const scope = new ExpressionScope(request.ExpressionAttributeNames, undefined, request.ProjectionExpression != null);
      const projection = request.ProjectionExpression != null ? scope.projection(request.ProjectionExpression as string) : attributesToGet(request.AttributesToGet);
      scope.finish();
      const seen = new Set<string>();
      const found: Item[] = [];
      const left: unknown[] = [];
      let tableBytes = 0;
      for (const rawKey of request.Keys as unknown[]) {
        const { position } = requireKey(table, rawKey);
        const id = positionKey(position.hash, position.range);
        if (seen.has(id)) throw validation('Provided list of item keys contains duplicates');
        seen.add(id);
        if (bytes >= MAX_BATCH_GET_BYTES) {
          left.push(rawKey);
          continue;
        }
        const stored = table.store.get(position);
        if (!stored) continue;
        bytes += stored.size;
        tableBytes += stored.size;
        found.push(projection ? project(stored.item, projection) : stored.item);
      }
      responses[name] = found;
      if (left.length) unprocessed[name] = { ...request, Keys: left };
      const c = consumedCapacity(mode, name, 'read', readUnits(tableBytes, request.ConsistentRead === true));
      if (c) consumed.push(c);
    }
    return { Responses: responses, UnprocessedKeys: unprocessed, ...(consumed.length ? { ConsumedCapacity: consumed } : {}) };
  }
}
