import { validation } from '../../errors';
import type { Condition, DocumentPath, Operand, UpdateExpression } from './ast';
import type { ExpressionScope } from './scope';

/**
 * The pre-2014 parameters (Expected, ConditionalOperator, AttributeUpdates, KeyConditions, QueryFilter,
 * ScanFilter) translated into the expression trees the evaluator already runs. Java KCL 1.x/2.x lease code
 * still sends Expected and AttributeUpdates, so real JVM consumers work against the emulator too.
 */

type Raw = Record<string, unknown>;

const ARITY: Record<string, number | 'many'> = {
  EQ: 1,
  NE: 1,
  LE: 1,
  LT: 1,
  GE: 1,
  GT: 1,
  NOT_NULL: 0,
  NULL: 0,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  BEGINS_WITH: 1,
  IN: 'many',
  BETWEEN: 2,
};

function entries(raw: unknown, member: string): [string, Raw][] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw validation(`${member} must be a map`);
  return Object.entries(raw).map(([k, v]) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw validation(`One or more parameter values were invalid: invalid ${member} entry for ${k}`);
    return [k, v as Raw];
  });
}

/** One `{ComparisonOperator, AttributeValueList}` condition on a top-level attribute. */
function comparison(scope: ExpressionScope, attribute: string, op: unknown, list: unknown): Condition {
  if (typeof op !== 'string' || !(op in ARITY))
    throw validation(
      `1 validation error detected: Value '${String(op)}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [${Object.keys(ARITY).join(', ')}]`,
    );
  const values = list === undefined || list === null ? [] : Array.isArray(list) ? list : null;
  const arity = ARITY[op]!;
  if (values === null || (arity === 'many' ? values.length === 0 : values.length !== arity))
    throw validation(`One or more parameter values were invalid: Invalid number of argument(s) for the ${op} ComparisonOperator`);
  const path = scope.syntheticPath(attribute);
  const v = values.map((x) => scope.syntheticValue(x)) as Operand[];
  switch (op) {
    case 'EQ':
      return { kind: 'compare', op: '=', left: path, right: v[0]! };
    case 'NE':
      return { kind: 'compare', op: '<>', left: path, right: v[0]! };
    case 'LE':
      return { kind: 'compare', op: '<=', left: path, right: v[0]! };
    case 'LT':
      return { kind: 'compare', op: '<', left: path, right: v[0]! };
    case 'GE':
      return { kind: 'compare', op: '>=', left: path, right: v[0]! };
    case 'GT':
      return { kind: 'compare', op: '>', left: path, right: v[0]! };
    case 'NOT_NULL':
      return { kind: 'function', name: 'attribute_exists', args: [path] };
    case 'NULL':
      return { kind: 'function', name: 'attribute_not_exists', args: [path] };
    case 'CONTAINS':
      return { kind: 'function', name: 'contains', args: [path, v[0]!] };
    case 'NOT_CONTAINS':
      return {
        kind: 'and',
        left: { kind: 'function', name: 'attribute_exists', args: [path] },
        right: { kind: 'not', operand: { kind: 'function', name: 'contains', args: [path, v[0]!] } },
      };
    case 'BEGINS_WITH':
      return { kind: 'function', name: 'begins_with', args: [path, v[0]!] };
    case 'IN':
      return { kind: 'in', target: path, list: v };
    default:
      return { kind: 'between', target: path, low: v[0]!, high: v[1]! };
  }
}

function combine(conditions: Condition[], conditionalOperator: unknown): Condition | undefined {
  if (conditionalOperator !== undefined && conditionalOperator !== null && conditionalOperator !== 'AND' && conditionalOperator !== 'OR')
    throw validation(
      `1 validation error detected: Value '${String(conditionalOperator)}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]`,
    );
  const kind = conditionalOperator === 'OR' ? 'or' : 'and';
  return conditions.reduce<Condition | undefined>((acc, c) => (acc ? { kind, left: acc, right: c } : c), undefined);
}

/** `Expected` (PutItem, UpdateItem, DeleteItem) with its `ConditionalOperator`. */
export function expectedCondition(scope: ExpressionScope, raw: unknown, conditionalOperator: unknown): Condition | undefined {
  const conditions = entries(raw, 'Expected').map(([attribute, e]) => {
    const hasValue = e.Value !== undefined && e.Value !== null;
    if (e.ComparisonOperator !== undefined && e.ComparisonOperator !== null) {
      if (hasValue || e.Exists !== undefined)
        throw validation('One or more parameter values were invalid: Exists and Value cannot be used with ComparisonOperator and AttributeValueList');
      return comparison(scope, attribute, e.ComparisonOperator, e.AttributeValueList);
    }
    if (e.Exists === false) {
      if (hasValue) throw validation('One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ' + attribute);
      return comparison(scope, attribute, 'NULL', undefined);
    }
    if (!hasValue) throw validation('One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ' + attribute);
    return comparison(scope, attribute, 'EQ', [e.Value]);
  });
  const combined = combine(conditions, conditionalOperator);
  return combined && scope.checkSynthetic('ConditionExpression', combined);
}

/** `QueryFilter` / `ScanFilter` with its `ConditionalOperator`. */
export function filterCondition(scope: ExpressionScope, raw: unknown, conditionalOperator: unknown): Condition | undefined {
  const conditions = entries(raw, 'Filter').map(([attribute, c]) => comparison(scope, attribute, c.ComparisonOperator, c.AttributeValueList));
  const combined = combine(conditions, conditionalOperator);
  return combined && scope.checkSynthetic('FilterExpression', combined);
}

/** `KeyConditions` of a Query, as one AND-ed condition for the key-condition analysis. */
export function keyConditions(scope: ExpressionScope, raw: unknown): Condition {
  const conditions = entries(raw, 'KeyConditions').map(([attribute, c]) => comparison(scope, attribute, c.ComparisonOperator, c.AttributeValueList));
  const combined = combine(conditions, 'AND');
  if (!combined) throw validation('Conditions can be of length 1 or 2 only');
  return combined;
}

/** `AttributeUpdates` of UpdateItem: PUT → SET, ADD → ADD, DELETE → DELETE (with a value) or REMOVE. */
export function attributeUpdates(scope: ExpressionScope, raw: unknown): ReturnType<ExpressionScope['syntheticUpdate']> {
  const update: UpdateExpression = { set: [], remove: [], add: [], delete: [] };
  for (const [attribute, u] of entries(raw, 'AttributeUpdates')) {
    const action = u.Action ?? 'PUT';
    const hasValue = u.Value !== undefined && u.Value !== null;
    const path: DocumentPath = scope.syntheticPath(attribute);
    if (action === 'PUT') {
      if (!hasValue) throw validation('One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified');
      update.set.push({ path, value: scope.syntheticValue(u.Value) });
    } else if (action === 'ADD') {
      if (!hasValue) throw validation('One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified');
      update.add.push({ path, value: scope.syntheticValue(u.Value) });
    } else if (action === 'DELETE') {
      if (hasValue) update.delete.push({ path, value: scope.syntheticValue(u.Value) });
      else update.remove.push(path);
    } else
      throw validation(
        `1 validation error detected: Value '${String(action)}' at 'attributeUpdates.${attribute}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]`,
      );
  }
  return scope.syntheticUpdate(update);
}
