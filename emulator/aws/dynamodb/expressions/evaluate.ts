import {
  compareScalars,
  cloneValue,
  typeOf,
  valuesEqual,
  type AttributeValue,
  type Item,
  type ScalarKeyType,
} from '../attribute-values';
import type { Condition, Operand } from './ast';
import type { ExpressionScope, ResolvedPath } from './scope';

/** The value at `path` in `item`, or undefined when any step is missing or of the wrong kind. */
export function getPath(item: Item, path: ResolvedPath): AttributeValue | undefined {
  let current: AttributeValue | undefined = item[path[0] as string];
  for (let i = 1; i < path.length && current !== undefined; i++) {
    const step = path[i]!;
    if (typeof step === 'number') current = 'L' in current ? current.L[step] : undefined;
    else current = 'M' in current ? current.M[step] : undefined;
  }
  return current;
}

/** Element count / length for `size()`: strings by characters, binaries by bytes, collections by members. */
function sizeOf(v: AttributeValue | undefined): AttributeValue | undefined {
  if (v === undefined) return undefined;
  let n: number;
  if ('S' in v) n = [...v.S].length;
  else if ('B' in v) n = Buffer.byteLength(v.B, 'base64');
  else if ('SS' in v) n = v.SS.length;
  else if ('NS' in v) n = v.NS.length;
  else if ('BS' in v) n = v.BS.length;
  else if ('L' in v) n = v.L.length;
  else if ('M' in v) n = Object.keys(v.M).length;
  else return undefined;
  return { N: String(n) };
}

/** Operands of conditions: a path, a `:value` or `size(path)`. */
export function evaluateOperand(o: Operand, item: Item, scope: ExpressionScope): AttributeValue | undefined {
  switch (o.kind) {
    case 'path':
      return getPath(item, scope.resolve(o));
    case 'value':
      return scope.value(o);
    case 'call':
      return o.name === 'size' ? sizeOf(evaluateOperand(o.args[0]!, item, scope)) : undefined;
    case 'arith':
      return undefined;
  }
}

/** Ordering of two S, N or B values of the same type; undefined when they are not comparable. */
function order(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const t = typeOf(a);
  if (t !== typeOf(b) || (t !== 'S' && t !== 'N' && t !== 'B')) return undefined;
  return compareScalars(t as ScalarKeyType, (a as Record<string, string>)[t]!, (b as Record<string, string>)[t]!);
}

function beginsWith(a: AttributeValue | undefined, prefix: AttributeValue | undefined): boolean {
  if (a === undefined || prefix === undefined) return false;
  if ('S' in a && 'S' in prefix) return a.S.startsWith(prefix.S);
  if ('B' in a && 'B' in prefix) {
    const whole = Buffer.from(a.B, 'base64');
    const start = Buffer.from(prefix.B, 'base64');
    return whole.length >= start.length && whole.subarray(0, start.length).equals(start);
  }
  return false;
}

function contains(a: AttributeValue | undefined, member: AttributeValue | undefined): boolean {
  if (a === undefined || member === undefined) return false;
  if ('S' in a) return 'S' in member && a.S.includes(member.S);
  if ('SS' in a) return 'S' in member && a.SS.includes(member.S);
  if ('NS' in a) return 'N' in member && a.NS.some((n) => valuesEqual({ N: n }, member));
  if ('BS' in a) return 'B' in member && a.BS.includes(member.B);
  if ('L' in a) return a.L.some((x) => valuesEqual(x, member));
  return false;
}

export function evaluateCondition(c: Condition, item: Item, scope: ExpressionScope): boolean {
  switch (c.kind) {
    case 'and':
      return evaluateCondition(c.left, item, scope) && evaluateCondition(c.right, item, scope);
    case 'or':
      return evaluateCondition(c.left, item, scope) || evaluateCondition(c.right, item, scope);
    case 'not':
      return !evaluateCondition(c.operand, item, scope);
    case 'compare': {
      const a = evaluateOperand(c.left, item, scope);
      const b = evaluateOperand(c.right, item, scope);
      if (c.op === '=') return a !== undefined && b !== undefined && valuesEqual(a, b);
      // A missing attribute is "not equal" to anything, as for the legacy NE operator.
      if (c.op === '<>') return a === undefined || b === undefined || !valuesEqual(a, b);
      const cmp = order(a, b);
      if (cmp === undefined) return false;
      return c.op === '<' ? cmp < 0 : c.op === '<=' ? cmp <= 0 : c.op === '>' ? cmp > 0 : cmp >= 0;
    }
    case 'between': {
      const x = evaluateOperand(c.target, item, scope);
      const lo = order(x, evaluateOperand(c.low, item, scope));
      const hi = order(x, evaluateOperand(c.high, item, scope));
      return lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
    }
    case 'in': {
      const x = evaluateOperand(c.target, item, scope);
      if (x === undefined) return false;
      return c.list.some((o) => {
        const v = evaluateOperand(o, item, scope);
        return v !== undefined && valuesEqual(x, v);
      });
    }
    case 'function': {
      const [first, second] = c.args;
      switch (c.name) {
        case 'attribute_exists':
          return evaluateOperand(first!, item, scope) !== undefined;
        case 'attribute_not_exists':
          return evaluateOperand(first!, item, scope) === undefined;
        case 'attribute_type': {
          const v = evaluateOperand(first!, item, scope);
          const wanted = evaluateOperand(second!, item, scope) as { S: string } | undefined;
          return v !== undefined && wanted !== undefined && typeOf(v) === wanted.S;
        }
        case 'begins_with':
          return beginsWith(evaluateOperand(first!, item, scope), evaluateOperand(second!, item, scope));
        case 'contains':
          return contains(evaluateOperand(first!, item, scope), evaluateOperand(second!, item, scope));
      }
    }
  }
}

interface ProjectionNode {
  children: Map<string | number, ProjectionNode>;
  /** The whole value at this node is selected. */
  whole: boolean;
}

function projectValue(v: AttributeValue, node: ProjectionNode): AttributeValue | undefined {
  if (node.whole) return cloneValue(v);
  const names = [...node.children.keys()];
  if ('M' in v && names.every((k) => typeof k === 'string')) {
    const out: Item = {};
    for (const [k, child] of node.children) {
      const inner = v.M[k as string];
      if (inner === undefined) continue;
      const projected = projectValue(inner, child);
      if (projected !== undefined) out[k as string] = projected;
    }
    return Object.keys(out).length ? { M: out } : undefined;
  }
  if ('L' in v && names.every((k) => typeof k === 'number')) {
    // Selected list elements come back compacted, in index order.
    const out: AttributeValue[] = [];
    for (const index of (names as number[]).sort((a, b) => a - b)) {
      const inner = v.L[index];
      if (inner === undefined) continue;
      const projected = projectValue(inner, node.children.get(index)!);
      if (projected !== undefined) out.push(projected);
    }
    return out.length ? { L: out } : undefined;
  }
  return undefined;
}

/** The parts of `item` named by `paths` (ProjectionExpression, UPDATED_OLD / UPDATED_NEW). */
export function project(item: Item, paths: ResolvedPath[]): Item {
  const root: ProjectionNode = { children: new Map(), whole: false };
  for (const path of paths) {
    let node = root;
    for (const step of path) {
      let child = node.children.get(step);
      if (!child) node.children.set(step, (child = { children: new Map(), whole: false }));
      node = child;
    }
    node.whole = true;
  }
  const out: Item = {};
  for (const [name, node] of root.children) {
    if (typeof name !== 'string') continue;
    const v = item[name];
    if (v === undefined) continue;
    const projected = projectValue(v, node);
    if (projected !== undefined) out[name] = projected;
  }
  return out;
}
