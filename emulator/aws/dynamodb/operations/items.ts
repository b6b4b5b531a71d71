import { validation } from '../../errors';
import { itemSize, MAX_ITEM_BYTES, type Item } from '../attribute-values';
import type { Database } from '../database';
import { evaluateCondition, project } from '../expressions/evaluate';
import type { Condition } from '../expressions/ast';
import { attributeUpdates, expectedCondition } from '../expressions/legacy';
import { ExpressionScope } from '../expressions/scope';
import { applyUpdate } from '../expressions/update';
import {
  attributesToGet,
  checkLegacyParameters,
  conditionalCheckFailed,
  consumedCapacity,
  CONSUMED_CAPACITY_MODES,
  optionalEnum,
  readUnits,
  requireItem,
  requireKey,
  requireTableName,
  writeUnits,
} from '../requests';

/** GetItem, PutItem, UpdateItem, DeleteItem. Each runs to completion synchronously, so each is atomic. */

const RETURN_VALUES = ['ALL_NEW', 'UPDATED_OLD', 'ALL_OLD', 'NONE', 'UPDATED_NEW'] as const;
const CONDITION_LEGACY = ['Expected', 'ConditionalOperator'];

const present = (v: unknown) => v !== undefined && v !== null;

function returnValues(input: Record<string, unknown>, allowed: readonly string[]): string {
  const v = optionalEnum(input.ReturnValues, 'returnValues', RETURN_VALUES) ?? 'NONE';
  if (!allowed.includes(v)) throw validation('ReturnValues can only be ALL_OLD or NONE');
  return v;
}

function capacityMode(input: Record<string, unknown>) {
  return optionalEnum(input.ReturnConsumedCapacity, 'returnConsumedCapacity', CONSUMED_CAPACITY_MODES);
}

function returnOnFailure(input: Record<string, unknown>) {
  return optionalEnum(input.ReturnValuesOnConditionCheckFailure, 'returnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE'] as const);
}

/** ConditionExpression, or the legacy Expected / ConditionalOperator pair. */
function conditionOf(input: Record<string, unknown>, scope: ExpressionScope): Condition | undefined {
  if (present(input.ConditionExpression)) return scope.condition('ConditionExpression', input.ConditionExpression as string);
  if (present(input.Expected)) return expectedCondition(scope, input.Expected, input.ConditionalOperator);
  return undefined;
}

function nonEmpty(attributes: Item | undefined): { Attributes?: Item } {
  return attributes && Object.keys(attributes).length ? { Attributes: attributes } : {};
}

export class ItemOperations {
  constructor(private readonly db: Database) {}

  getItem(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, ['AttributesToGet'], ['ProjectionExpression']);
    const { position } = requireKey(table, input.Key);
    const mode = capacityMode(input);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues, present(input.ProjectionExpression));
    const projection = present(input.ProjectionExpression) ? scope.projection(input.ProjectionExpression as string) : attributesToGet(input.AttributesToGet);
    scope.finish();
    const stored = table.store.get(position);
    const capacity = consumedCapacity(mode, table.meta.name, 'read', readUnits(stored?.size ?? 0, input.ConsistentRead === true));
    return {
      ...(stored ? { Item: projection ? project(stored.item, projection) : stored.item } : {}),
      ...(capacity ? { ConsumedCapacity: capacity } : {}),
    };
  }

  putItem(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, CONDITION_LEGACY, ['ConditionExpression']);
    const wanted = returnValues(input, ['NONE', 'ALL_OLD']);
    const onFailure = returnOnFailure(input);
    const mode = capacityMode(input);
    const { item, size } = requireItem(table, input.Item);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues, present(input.ConditionExpression));
    const condition = conditionOf(input, scope);
    scope.finish();
    const old = table.store.get(table.store.positionOf(item));
    if (condition && !evaluateCondition(condition, old?.item ?? {}, scope)) throw conditionalCheckFailed(old?.item, onFailure);
    this.db.commit({ op: 'put', table: table.meta.name, item });
    const capacity = consumedCapacity(mode, table.meta.name, 'write', writeUnits(Math.max(size, old?.size ?? 0)));
    return { ...(wanted === 'ALL_OLD' ? nonEmpty(old?.item) : {}), ...(capacity ? { ConsumedCapacity: capacity } : {}) };
  }

  updateItem(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, ['AttributeUpdates', ...CONDITION_LEGACY], ['UpdateExpression', 'ConditionExpression']);
    const wanted = returnValues(input, RETURN_VALUES);
    const onFailure = returnOnFailure(input);
    const mode = capacityMode(input);
    const { key, position } = requireKey(table, input.Key);
    const scope = new ExpressionScope(
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
      present(input.UpdateExpression) || present(input.ConditionExpression),
    );
    const update = present(input.UpdateExpression)
      ? scope.update(input.UpdateExpression as string)
      : present(input.AttributeUpdates)
        ? attributeUpdates(scope, input.AttributeUpdates)
        : undefined;
    const condition = conditionOf(input, scope);
    scope.finish();
    for (const path of update?.targets ?? [])
      if (table.isKeyAttribute(path[0] as string))
        throw validation(`One or more parameter values were invalid: Cannot update attribute ${path[0]}. This attribute is part of the key`);
    const old = table.store.get(position);
    if (condition && !evaluateCondition(condition, old?.item ?? {}, scope)) throw conditionalCheckFailed(old?.item, onFailure);
    // A missing item is created from its key, as AWS does (even with no UpdateExpression at all).
    const before = old?.item ?? key;
    const after = update ? applyUpdate(before, update, scope) : before;
    const size = itemSize(after);
    if (size > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
    this.db.commit({ op: 'put', table: table.meta.name, item: after });
    const targets = update?.targets ?? [];
    let attributes: Item | undefined;
    if (wanted === 'ALL_OLD') attributes = old?.item;
    else if (wanted === 'ALL_NEW') attributes = after;
    else if (wanted === 'UPDATED_OLD') attributes = old ? project(old.item, targets) : undefined;
    else if (wanted === 'UPDATED_NEW') attributes = project(after, targets);
    const capacity = consumedCapacity(mode, table.meta.name, 'write', writeUnits(Math.max(size, old?.size ?? 0)));
    return { ...nonEmpty(attributes), ...(capacity ? { ConsumedCapacity: capacity } : {}) };
  }

  deleteItem(input: Record<string, unknown>): unknown {
    const table = this.db.table(requireTableName(input.TableName));
    checkLegacyParameters(input, CONDITION_LEGACY, ['ConditionExpression']);
    const wanted = returnValues(input, ['NONE', 'ALL_OLD']);
    const onFailure = returnOnFailure(input);
    const mode = capacityMode(input);
    const { key, position } = requireKey(table, input.Key);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues, present(input.ConditionExpression));
    const condition = conditionOf(input, scope);
    scope.finish();
    const old = table.store.get(position);
    if (condition && !evaluateCondition(condition, old?.item ?? {}, scope)) throw conditionalCheckFailed(old?.item, onFailure);
    if (old) this.db.commit({ op: 'delete', table: table.meta.name, key });
    const capacity = consumedCapacity(mode, table.meta.name, 'write', writeUnits(old?.size ?? 0));
    return { ...(wanted === 'ALL_OLD' ? nonEmpty(old?.item) : {}), ...(capacity ? { ConsumedCapacity: capacity } : {}) };
  }
}
