import { validation } from '../../errors';
import { cloneItem, cloneValue, typeOf, type AttributeValue, type Item } from '../attribute-values';
import { addNumbers } from '../numbers';
import type { Operand } from './ast';
import { getPath } from './evaluate';
import type { ExpressionScope, ResolvedPath, ResolvedUpdate } from './scope';

const invalidPath = () => validation('The document path provided in the update expression is invalid for update');
const wrongType = () => validation('An operand in the update expression has an incorrect data type');

/** Evaluates the right-hand side of a SET against the item as it was before the update. */
function evaluateSetOperand(o: Operand, before: Item, scope: ExpressionScope): AttributeValue {
  switch (o.kind) {
    case 'value':
      return scope.value(o);
    case 'path': {
      const v = getPath(before, scope.resolve(o));
      if (v === undefined) throw validation('The provided expression refers to an attribute that does not exist in the item');
      return v;
    }
    case 'arith': {
      const a = evaluateSetOperand(o.left, before, scope);
      const b = evaluateSetOperand(o.right, before, scope);
      if (!('N' in a) || !('N' in b)) throw wrongType();
      return { N: addNumbers(a.N, b.N, o.op === '-') };
    }
    case 'call': {
      if (o.name === 'if_not_exists') {
        const existing = getPath(before, scope.resolve(o.args[0] as Extract<Operand, { kind: 'path' }>));
        return existing ?? evaluateSetOperand(o.args[1]!, before, scope);
      }
      // list_append (size is rejected by the parser in updates)
      const a = evaluateSetOperand(o.args[0]!, before, scope);
      const b = evaluateSetOperand(o.args[1]!, before, scope);
      if (!('L' in a) || !('L' in b)) throw wrongType();
      return { L: [...a.L, ...b.L] };
    }
  }
}

type Container = { kind: 'map'; map: Item } | { kind: 'list'; list: AttributeValue[] };

/** The map or list that holds the last step of `path`, or undefined when an intermediate step is missing. */
function parentOf(item: Item, path: ResolvedPath): Container | undefined {
  let container: Container = { kind: 'map', map: item };
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i]!;
    const next: AttributeValue | undefined =
      container.kind === 'map' ? (typeof step === 'string' ? container.map[step] : undefined) : typeof step === 'number' ? container.list[step] : undefined;
    if (next === undefined) return undefined;
    if ('M' in next) container = { kind: 'map', map: next.M };
    else if ('L' in next) container = { kind: 'list', list: next.L };
    else return undefined;
  }
  return container;
}

function setAt(item: Item, path: ResolvedPath, value: AttributeValue): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1]!;
  if (parent?.kind === 'map' && typeof last === 'string') parent.map[last] = value;
  else if (parent?.kind === 'list' && typeof last === 'number') {
    // Setting past the end appends, as AWS does.
    if (last < parent.list.length) parent.list[last] = value;
    else parent.list.push(value);
  } else throw invalidPath();
}

function removeAt(item: Item, path: ResolvedPath): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1]!;
  if (parent?.kind === 'map' && typeof last === 'string') delete parent.map[last];
  else if (parent?.kind === 'list' && typeof last === 'number') {
    if (last < parent.list.length) parent.list.splice(last, 1);
  }
}

function union(existing: string[], added: string[]): string[] {
  const have = new Set(existing);
  return [...existing, ...added.filter((m) => !have.has(m))];
}

function addTo(item: Item, path: ResolvedPath, value: AttributeValue): void {
  const current = getPath(item, path);
  if (current === undefined) return setAt(item, path, cloneValue(value));
  const t = typeOf(value);
  if (typeOf(current) !== t) throw wrongType();
  if ('N' in current) return setAt(item, path, { N: addNumbers(current.N, (value as { N: string }).N) });
  const key = t as 'SS' | 'NS' | 'BS';
  setAt(item, path, { [key]: union((current as Record<string, string[]>)[key]!, (value as Record<string, string[]>)[key]!) } as AttributeValue);
}

function deleteFrom(item: Item, path: ResolvedPath, value: AttributeValue): void {
  const current = getPath(item, path);
  if (current === undefined) return;
  const t = typeOf(value) as 'SS' | 'NS' | 'BS';
  if (typeOf(current) !== t) throw wrongType();
  const removed = new Set((value as Record<string, string[]>)[t]!);
  const kept = (current as Record<string, string[]>)[t]!.filter((m) => !removed.has(m));
  // An empty set cannot be stored: deleting its last member removes the attribute.
  if (kept.length === 0) removeAt(item, path);
  else setAt(item, path, { [t]: kept } as AttributeValue);
}

/** Sorts so that, within one list, higher indexes are removed first and earlier indexes stay valid. */
function compareForRemoval(a: ResolvedPath, b: ResolvedPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return String(x) < String(y) ? -1 : 1;
  }
  return b.length - a.length;
}

/**
 * Applies a resolved update expression to `before` (the stored item, or just the key for a new item) and
 * returns the new item. Every right-hand side reads the item as it was before the update, as in AWS.
 */
export function applyUpdate(before: Item, update: ResolvedUpdate, scope: ExpressionScope): Item {
  const values = update.set.map((a) => cloneValue(evaluateSetOperand(a.value, before, scope)));
  const after = cloneItem(before);
  update.set.forEach((a, i) => setAt(after, a.path, values[i]!));
  for (const path of [...update.remove].sort(compareForRemoval)) removeAt(after, path);
  for (const a of update.add) addTo(after, a.path, a.value);
  for (const a of update.delete) deleteFrom(after, a.path, a.value);
  return after;
}
