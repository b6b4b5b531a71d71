import { validation } from '../../errors';
import { scalarOf, typeName, typeOf } from '../attribute-values';
import type { KeySchema, RangeCondition } from '../item-store';
import type { Condition, Operand } from './ast';
import type { ExpressionScope } from './scope';

/** A Query's KeyConditionExpression reduced to what the store needs. */
export interface KeyCondition {
  hash: string;
  range?: RangeCondition;
}

const FLIPPED: Record<string, '=' | '<' | '<=' | '>' | '>='> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function conjuncts(c: Condition, out: Condition[]): Condition[] {
  if (c.kind === 'and') {
    conjuncts(c.left, out);
    conjuncts(c.right, out);
  } else out.push(c);
  return out;
}

function operatorName(c: Condition): string {
  switch (c.kind) {
    case 'or':
      return 'OR';
    case 'not':
      return 'NOT';
    case 'in':
      return 'IN';
    case 'compare':
      return c.op;
    case 'function':
      return c.name;
    default:
      return c.kind.toUpperCase();
  }
}

/**
 * Checks a KeyConditionExpression the way AWS does — an equality on the hash key, optionally AND one
 * condition (=, <, <=, >, >=, BETWEEN, begins_with) on the range key — and extracts the key values.
 */
export function analyzeKeyCondition(c: Condition, schema: KeySchema, scope: ExpressionScope): KeyCondition {
  const conditions: { attribute: string; range: RangeCondition; values: Operand[] }[] = [];
  const keyAttribute = (o: Operand): string | undefined => {
    if (o.kind !== 'path') return undefined;
    const path = scope.resolve(o);
    if (path.length !== 1) throw validation('KeyConditionExpressions cannot have conditions on nested attributes');
    return path[0] as string;
  };
  const scalar = (o: Operand): string => (o.kind === 'value' ? scalarOf(scope.value(o)) : '');
  for (const part of conjuncts(c, [])) {
    if (part.kind === 'compare' && part.op !== '<>') {
      const left = keyAttribute(part.left);
      const right = keyAttribute(part.right);
      if ((left === undefined) === (right === undefined) || (left ? part.right : part.left).kind !== 'value')
        throw validation('Invalid KeyConditionExpression: Query key condition not supported');
      const op = left ? part.op : FLIPPED[part.op]!;
      const valueOperand = left ? part.right : part.left;
      conditions.push({ attribute: (left ?? right)!, range: { op, value: scalar(valueOperand) }, values: [valueOperand] });
    } else if (part.kind === 'between') {
      const attribute = keyAttribute(part.target);
      if (!attribute || part.low.kind !== 'value' || part.high.kind !== 'value')
        throw validation('Invalid KeyConditionExpression: Query key condition not supported');
      conditions.push({ attribute, range: { op: 'between', low: scalar(part.low), high: scalar(part.high) }, values: [part.low, part.high] });
    } else if (part.kind === 'function' && part.name === 'begins_with') {
      const attribute = keyAttribute(part.args[0]!);
      if (!attribute || part.args[1]!.kind !== 'value') throw validation('Invalid KeyConditionExpression: Query key condition not supported');
      conditions.push({ attribute, range: { op: 'begins_with', prefix: scalar(part.args[1]!) }, values: [part.args[1]!] });
    } else throw validation(`Invalid operator used in KeyConditionExpression: ${operatorName(part)}`);
  }
  const seen = new Set<string>();
  for (const k of conditions) {
    if (seen.has(k.attribute)) throw validation('KeyConditionExpressions must only contain one condition per key');
    seen.add(k.attribute);
  }
  const hash = conditions.find((k) => k.attribute === schema.hash.name);
  if (!hash) throw validation(`Query condition missed key schema element: ${schema.hash.name}`);
  const range = conditions.find((k) => k.attribute === schema.range?.name);
  if (conditions.length > (range ? 2 : 1)) throw validation('Query key condition not supported');
  if (hash.range.op !== '=') throw validation('Query key condition not supported');
  for (const { attribute, range: r, values } of [hash, ...(range ? [range] : [])]) {
    const expected = attribute === schema.hash.name ? schema.hash.type : schema.range!.type;
    for (const v of values) {
      const actual = typeOf(scope.value(v as Extract<Operand, { kind: 'value' }>));
      if (r.op === 'begins_with' && expected === 'N')
        throw validation(`Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeName('N')}`);
      if (actual !== expected) throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
    }
  }
  return { hash: (hash.range as { value: string }).value, ...(range ? { range: range.range } : {}) };
}
