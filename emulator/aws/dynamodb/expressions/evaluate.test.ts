import { describe, expect, it } from 'vitest';
import type { AttributeValue, Item } from '../attribute-values';
import { evaluateCondition, project } from './evaluate';
import { ExpressionScope } from './scope';
import { applyUpdate } from './update';

const item: Item = {
  pk: { S: 'k' },
  n: { N: '10' },
  s: { S: 'banana' },
  b: { B: Buffer.from([1, 2, 3]).toString('base64') },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2'] },
  l: { L: [{ S: 'x' }, { N: '5' }, { M: { deep: { S: 'y' } } }] },
  m: { M: { core: { N: '3' }, arr: { L: [{ S: 'p' }, { S: 'q' }] } } },
  nul: { NULL: true },
  yes: { BOOL: true },
};

function holds(expression: string, values: Record<string, AttributeValue> = {}, names?: Record<string, string>): boolean {
  const scope = new ExpressionScope(names, Object.keys(values).length ? values : undefined, true);
  const c = scope.condition('ConditionExpression', expression);
  scope.finish();
  return evaluateCondition(c, item, scope);
}

function update(expression: string, values: Record<string, AttributeValue> = {}, before: Item = item): Item {
  const scope = new ExpressionScope(undefined, Object.keys(values).length ? values : undefined, true);
  const u = scope.update(expression);
  scope.finish();
  return applyUpdate(before, u, scope);
}

describe('condition evaluation', () => {
  it('compares numbers numerically and strings by code point', () => {
    expect(holds('n > :v', { ':v': { N: '9' } })).toBe(true);
    expect(holds('n < :v', { ':v': { N: '9.5' } })).toBe(false);
    expect(holds('n = :v', { ':v': { N: '10.0' } })).toBe(true);
    expect(holds('s < :v', { ':v': { S: 'c' } })).toBe(true);
    expect(holds('s > :v', { ':v': { N: '1' } })).toBe(false); // different types never order
  });

  it('treats absent attributes: = false, <> true, ordering false', () => {
    expect(holds('absent = :v', { ':v': { S: 'x' } })).toBe(false);
    expect(holds('absent <> :v', { ':v': { S: 'x' } })).toBe(true);
    expect(holds('absent < :v', { ':v': { S: 'x' } })).toBe(false);
  });

  it('evaluates BETWEEN, IN, NOT, AND/OR with short-circuit semantics', () => {
    expect(holds('n BETWEEN :a AND :b', { ':a': { N: '10' }, ':b': { N: '11' } })).toBe(true);
    expect(holds('n IN (:a, :b)', { ':a': { N: '1' }, ':b': { N: '10' } })).toBe(true);
    expect(holds('NOT n IN (:a)', { ':a': { N: '10' } })).toBe(false);
    expect(holds('(n = :a OR s = :b) AND attribute_exists(pk)', { ':a': { N: '0' }, ':b': { S: 'banana' } })).toBe(true);
  });

  it('implements the functions on every type they accept', () => {
    expect(holds('attribute_exists(m.core) AND attribute_not_exists(m.nope) AND attribute_exists(l[2].deep)')).toBe(true);
    expect(holds('attribute_type(ss, :t) AND attribute_type(nul, :n)', { ':t': { S: 'SS' }, ':n': { S: 'NULL' } })).toBe(true);
    expect(holds('begins_with(s, :p)', { ':p': { S: 'ban' } })).toBe(true);
    expect(holds('begins_with(b, :p)', { ':p': { B: Buffer.from([1, 2]).toString('base64') } })).toBe(true);
    expect(holds('contains(s, :p) AND contains(ss, :a) AND contains(ns, :one) AND contains(l, :x)', {
      ':p': { S: 'nan' },
      ':a': { S: 'a' },
      ':one': { N: '1.0' },
      ':x': { S: 'x' },
    })).toBe(true);
    expect(holds('size(s) = :six AND size(l) = :three AND size(m) = :two AND size(b) = :three', {
      ':six': { N: '6' },
      ':three': { N: '3' },
      ':two': { N: '2' },
    })).toBe(true);
    expect(holds('size(n) = :one', { ':one': { N: '1' } })).toBe(false);
  });

  it('compares sets regardless of order and maps deeply', () => {
    expect(holds('ss = :v', { ':v': { SS: ['b', 'a'] } })).toBe(true);
    expect(holds('m.arr = :v', { ':v': { L: [{ S: 'p' }, { S: 'q' }] } })).toBe(true);
  });
});

describe('expression scope checks', () => {
  it('rejects undefined and unused placeholders with AWS messages', () => {
    const undefinedValue = new ExpressionScope(undefined, { ':a': { S: 'x' } }, true);
    expect(() => undefinedValue.update('SET x = :v')).toThrow(
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    );
    const undefinedName = new ExpressionScope({ '#a': 'x' }, undefined, true);
    expect(() => undefinedName.condition('FilterExpression', '#absent = #a')).toThrow(
      'Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #absent',
    );
    const unused = new ExpressionScope({ '#u': 'x' }, { ':v': { S: 'x' }, ':x': { S: 'y' } }, true);
    unused.update('SET a = :v');
    expect(() => unused.finish()).toThrow('Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}');
    const unusedValue = new ExpressionScope(undefined, { ':v': { S: 'x' }, ':x': { S: 'y' } }, true);
    unusedValue.update('SET a = :v');
    expect(() => unusedValue.finish()).toThrow('Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}');
  });

  it('rejects maps given without expressions, empty maps and invalid values', () => {
    expect(() => new ExpressionScope(undefined, { ':v': { S: 'x' } }, false)).toThrow('ExpressionAttributeValues can only be specified when using expressions');
    expect(() => new ExpressionScope({}, undefined, true)).toThrow('ExpressionAttributeNames must not be empty');
    expect(() => new ExpressionScope(undefined, { ':v': { SS: [] } }, true)).toThrow(
      'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v',
    );
  });

  it('rejects overlapping and conflicting update paths', () => {
    const scope = new ExpressionScope(undefined, { ':v': { N: '1' } }, true);
    expect(() => scope.update('SET a = :v REMOVE a.b')).toThrow(
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
    );
    expect(() => scope.update('SET a.b = :v, a[1] = :v')).toThrow('Two document paths conflict with each other');
  });

  it('type-checks constant operands before reading any item', () => {
    const scope = new ExpressionScope(undefined, { ':s': { S: 'x' }, ':n': { N: '1' }, ':lo': { N: '5' }, ':hi': { N: '1' } }, true);
    expect(() => scope.update('ADD a :s')).toThrow('Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND');
    expect(() => scope.update('DELETE a :n')).toThrow('operator: DELETE, operand type: NUMBER');
    expect(() => scope.condition('FilterExpression', 'begins_with(a, :n)')).toThrow('Incorrect operand type for operator or function; operator or function: begins_with');
    expect(() => scope.condition('ConditionExpression', 'a BETWEEN :lo AND :hi')).toThrow('The BETWEEN operator requires upper bound to be greater than or equal to lower bound');
    expect(() => scope.condition('ConditionExpression', 'contains(a, a)')).toThrow(
      'The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]',
    );
    expect(() => scope.condition('ConditionExpression', 'attribute_type(a, :s)')).toThrow('Invalid attribute type name found; type: x');
  });
});

describe('update application', () => {
  it('SET with arithmetic, if_not_exists and list_append reads the item before the update', () => {
    const after = update('SET n = n + :one, c = if_not_exists(c, :zero) - :one, l = list_append(l, :more), dup = n', {
      ':one': { N: '1' },
      ':zero': { N: '0' },
      ':more': { L: [{ S: 'z' }] },
    });
    expect(after.n).toEqual({ N: '11' });
    expect(after.c).toEqual({ N: '-1' });
    expect((after.l as { L: unknown[] }).L).toHaveLength(4);
    expect(after.dup).toEqual({ N: '10' }); // the old n, not the incremented one
    expect(item.n).toEqual({ N: '10' }); // input untouched
  });

  it('SET into nested maps and lists; past the end of a list appends', () => {
    const after = update('SET m.core = :v, m.arr[1] = :v, m.arr[9] = :w, l[2].deep = :w', { ':v': { S: 'v' }, ':w': { S: 'w' } });
    expect(after.m).toEqual({ M: { core: { S: 'v' }, arr: { L: [{ S: 'p' }, { S: 'v' }, { S: 'w' }] } } });
    expect((after.l as { L: { M?: Item }[] }).L[2]!.M!.deep).toEqual({ S: 'w' });
  });

  it('REMOVE list elements by their original indexes', () => {
    const after = update('REMOVE l[0], l[2], m.core, nope');
    expect(after.l).toEqual({ L: [{ N: '5' }] });
    expect(after.m).toEqual({ M: { arr: { L: [{ S: 'p' }, { S: 'q' }] } } });
  });

  it('ADD to numbers and sets, DELETE from sets (emptied sets disappear)', () => {
    const after = update('ADD n :five, ss :more, fresh :five, freshset :set DELETE ns :all', {
      ':five': { N: '5' },
      ':more': { SS: ['b', 'c'] },
      ':set': { SS: ['q'] },
      ':all': { NS: ['1', '2'] },
    });
    expect(after.n).toEqual({ N: '15' });
    expect(after.ss).toEqual({ SS: ['a', 'b', 'c'] });
    expect(after.fresh).toEqual({ N: '5' });
    expect(after.freshset).toEqual({ SS: ['q'] });
    expect(after.ns).toBeUndefined();
  });

  it('fails with AWS messages on absent operands, bad types and invalid paths', () => {
    expect(() => update('SET a = absent', {})).toThrow('The provided expression refers to an attribute that does not exist in the item');
    expect(() => update('SET a = s + :one', { ':one': { N: '1' } })).toThrow('An operand in the update expression has an incorrect data type');
    expect(() => update('ADD s :one', { ':one': { N: '1' } })).toThrow('An operand in the update expression has an incorrect data type');
    expect(() => update('SET nope.deeper = :one', { ':one': { N: '1' } })).toThrow('The document path provided in the update expression is invalid for update');
  });
});

describe('projection', () => {
  it('keeps only the named paths; list elements come back compacted in index order', () => {
    expect(project(item, [['n'], ['m', 'core'], ['l', 2, 'deep'], ['l', 0], ['absent']])).toEqual({
      n: { N: '10' },
      m: { M: { core: { N: '3' } } },
      l: { L: [{ S: 'x' }, { M: { deep: { S: 'y' } } }] },
    });
  });
});
