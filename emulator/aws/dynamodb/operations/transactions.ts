import { AwsError, validation } from '../../errors';
import { itemSize, MAX_ITEM_BYTES, type Item } from '../attribute-values';
import type { Database, JournalRecord, Table } from '../database';
import { evaluateCondition, project } from '../expressions/evaluate';
import { ExpressionScope } from '../expressions/scope';
import { applyUpdate } from '../expressions/update';
import type { KeyPosition } from '../item-store';
import { checkMemberTypes, constraint, optionalEnum, requireItem, requireKey, requireTableName } from '../requests';

/**
 * TransactWriteItems and TransactGetItems. The service is single-threaded, so "all or nothing" is: validate
 * every action, evaluate every condition against the current items, and only then commit all records in
 * one journal append.
 */

const MAX_TRANSACTION_ITEMS = 100;
const WRITE_ACTIONS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
type WriteAction = (typeof WRITE_ACTIONS)[number];

const present = (v: unknown) => v !== undefined && v !== null;

interface PlannedAction {
  table: Table;
  position: KeyPosition;
  old: Item | undefined;
  conditionHolds: boolean;
  returnOldOnFailure: boolean;
  /** The journal record to commit; may throw a ValidationException found only now (e.g. a bad operand type). */
  record: () => JournalRecord | undefined;
}

interface CancellationReason {
  Code: string;
  Message?: string;
  Item?: Item;
}

function transactItems(raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw) || raw.length === 0) throw constraint(null, 'transactItems', 'Member must not be null');
  if (raw.length > MAX_TRANSACTION_ITEMS)
    throw validation(`1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS}`);
  return raw.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw constraint(null, `transactItems.${i + 1}.member`, 'Member must not be null');
    return item as Record<string, unknown>;
  });
}

function cancelled(reasons: CancellationReason[]): AwsError {
  const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`;
  return new AwsError('TransactionCanceledException', message, 400, {}, {}, { Message: message, CancellationReasons: reasons });
}

export class TransactionOperations {
  constructor(private readonly db: Database) {}

  private plan(kind: WriteAction, action: Record<string, unknown>): PlannedAction {
    checkMemberTypes(action, kind);
    const table = this.db.table(requireTableName(action.TableName));
    const returnOldOnFailure =
      optionalEnum(action.ReturnValuesOnConditionCheckFailure, 'returnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE'] as const) === 'ALL_OLD';
    const scope = new ExpressionScope(
      action.ExpressionAttributeNames,
      action.ExpressionAttributeValues,
      present(action.ConditionExpression) || present(action.UpdateExpression),
    );
    let key: Item;
    let position: KeyPosition;
    let putItem: Item | undefined;
    if (kind === 'Put') {
      putItem = requireItem(table, action.Item).item;
      key = table.store.keyOf(putItem);
      position = table.store.positionOf(putItem);
    } else ({ key, position } = requireKey(table, action.Key));
    if (kind === 'ConditionCheck' && !present(action.ConditionExpression)) throw constraint(null, 'conditionExpression', 'Member must not be null');
    if (kind === 'Update' && !present(action.UpdateExpression)) throw constraint(null, 'updateExpression', 'Member must not be null');
    const update = kind === 'Update' ? scope.update(action.UpdateExpression as string) : undefined;
    const condition = present(action.ConditionExpression) ? scope.condition('ConditionExpression', action.ConditionExpression as string) : undefined;
    scope.finish();
    for (const path of update?.targets ?? [])
      if (table.isKeyAttribute(path[0] as string))
        throw validation(`One or more parameter values were invalid: Cannot update attribute ${path[0]}. This attribute is part of the key`);
    const old = table.store.get(position)?.item;
    return {
      table,
      position,
      old,
      conditionHolds: !condition || evaluateCondition(condition, old ?? {}, scope),
      returnOldOnFailure,
      record: () => {
        if (kind === 'ConditionCheck') return undefined;
        if (kind === 'Delete') return old ? { op: 'delete', table: table.meta.name, key } : undefined;
        if (kind === 'Put') return { op: 'put', table: table.meta.name, item: putItem! };
        const after = applyUpdate(old ?? key, update!, scope);
        if (itemSize(after) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
        return { op: 'put', table: table.meta.name, item: after };
      },
    };
  }

  transactWriteItems(input: Record<string, unknown>): unknown {
    const items = transactItems(input.TransactItems);
    const planned = items.map((item) => {
      const kinds = WRITE_ACTIONS.filter((k) => present(item[k]));
      if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0]!;
      return this.plan(kind, item[kind] as Record<string, unknown>);
    });
    const touched = new Set<string>();
    for (const p of planned) {
      const id = `${p.table.meta.name}\u0000${p.position.hash}\u0000${p.position.range ?? ''}`;
      if (touched.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
      touched.add(id);
    }
    const reasons: CancellationReason[] = planned.map((p) =>
      p.conditionHolds
        ? { Code: 'None' }
        : { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(p.returnOldOnFailure && p.old ? { Item: p.old } : {}) },
    );
    if (reasons.some((r) => r.Code !== 'None')) throw cancelled(reasons);
    const records: JournalRecord[] = [];
    const failures: CancellationReason[] = planned.map(() => ({ Code: 'None' }));
    let failed = false;
    planned.forEach((p, i) => {
      try {
        const r = p.record();
        if (r) records.push(r);
      } catch (err) {
        if (!(err instanceof AwsError) || err.code !== 'ValidationException') throw err;
        failures[i] = { Code: 'ValidationError', Message: err.message };
        failed = true;
      }
    });
    if (failed) throw cancelled(failures);
    this.db.commit(records);
    return {};
  }

  transactGetItems(input: Record<string, unknown>): unknown {
    const items = transactItems(input.TransactItems);
    const gets = items.map((item) => {
      const get = item.Get as Record<string, unknown> | undefined;
      if (!get || typeof get !== 'object') throw constraint(null, 'transactItems.member.get', 'Member must not be null');
      checkMemberTypes(get, 'Get');
      const table = this.db.table(requireTableName(get.TableName));
      const { position } = requireKey(table, get.Key);
      const scope = new ExpressionScope(get.ExpressionAttributeNames, undefined, present(get.ProjectionExpression));
      const projection = present(get.ProjectionExpression) ? scope.projection(get.ProjectionExpression as string) : undefined;
      scope.finish();
      return { table, position, projection };
    });
    return {
      Responses: gets.map(({ table, position, projection }) => {
        const stored = table.store.get(position);
        return stored ? { Item: projection ? project(stored.item, projection) : stored.item } : {};
      }),
    };
  }
}
