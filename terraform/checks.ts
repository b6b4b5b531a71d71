/**
 * Static checks of Furrow's Terraform (no terraform binary needed): every `.tf` file is parsed with
 * @cdktf/hcl2json and the JSON is checked for declarations, references, module wiring, IAM statements and
 * security-group ingress. Each check returns a list of problems (empty = fine), so tests can show both that
 * the real code passes and that a broken fixture is caught.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';

type Json = Record<string, any>;

export interface TfModule {
  /** Directory (or a fixture's name). */
  dir: string;
  files: string[];
  variables: Map<string, Json>;
  locals: Map<string, unknown>;
  /** `type.name` → block */
  resources: Map<string, Json>;
  /** `type.name` → block */
  data: Map<string, Json>;
  modules: Map<string, Json>;
  outputs: Map<string, Json>;
  terraform: Json[];
  /** Labels of `dynamic "x"` blocks: `x.key` / `x.value` are iterator references. */
  iterators: Set<string>;
}

const first = (v: unknown): Json => (Array.isArray(v) ? (v[0] as Json) : (v as Json));

function collectIterators(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) collectIterators(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Json)) {
      if (k === 'dynamic' && v && typeof v === 'object') for (const label of Object.keys(v as Json)) out.add(label);
      collectIterators(v, out);
    }
  }
}

/** Build a module from file name → HCL text (parsed in order). */
export async function parseModule(dir: string, sources: Record<string, string>): Promise<TfModule> {
  const mod: TfModule = {
    dir,
    files: Object.keys(sources),
    variables: new Map(),
    locals: new Map(),
    resources: new Map(),
    data: new Map(),
    modules: new Map(),
    outputs: new Map(),
    terraform: [],
    iterators: new Set(),
  };
  for (const [file, text] of Object.entries(sources)) {
    const json = (await parse(file, text)) as Json;
    for (const [name, block] of Object.entries((json.variable ?? {}) as Json)) mod.variables.set(name, first(block));
    for (const l of (json.locals ?? []) as Json[]) for (const [k, v] of Object.entries(l)) mod.locals.set(k, v);
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Json))
      for (const [name, block] of Object.entries(byName as Json)) mod.resources.set(`${type}.${name}`, first(block));
    for (const [type, byName] of Object.entries((json.data ?? {}) as Json))
      for (const [name, block] of Object.entries(byName as Json)) mod.data.set(`${type}.${name}`, first(block));
    for (const [name, block] of Object.entries((json.module ?? {}) as Json)) mod.modules.set(name, first(block));
    for (const [name, block] of Object.entries((json.output ?? {}) as Json)) mod.outputs.set(name, first(block));
    for (const t of (json.terraform ?? []) as Json[]) mod.terraform.push(t);
    collectIterators(json, mod.iterators);
  }
  return mod;
}

export async function loadModule(dir: string): Promise<TfModule> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  return parseModule(dir, Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')])));
}

/** Every directory under `root` that holds `.tf` files. */
export function moduleDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d);
    if (entries.some((e) => e.endsWith('.tf'))) out.push(d);
    for (const e of entries) if (!e.startsWith('.') && statSync(join(d, e)).isDirectory()) walk(join(d, e));
  };
  walk(root);
  return out.sort();
}

// ------------------------------------------------------------------------------------------------ variables

export function checkVariables(mod: TfModule): string[] {
  const problems: string[] = [];
  for (const [name, v] of mod.variables) {
    if (typeof v.type !== 'string' || !v.type) problems.push(`${mod.dir}: variable "${name}" has no type`);
    if (typeof v.description !== 'string' || v.description.trim().length < 5) problems.push(`${mod.dir}: variable "${name}" has no description`);
  }
  for (const [name, o] of mod.outputs)
    if (typeof o.description !== 'string' || !o.description.trim()) problems.push(`${mod.dir}: output "${name}" has no description`);
  return problems;
}

// ----------------------------------------------------------------------------------------------- references

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push(value);
  } else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value as Json)) if (k !== 'ignore_changes') strings(v, out);
  return out;
}

/** The first path segment that is not a list index (`module.x.0.out` → `out`). */
const named = (segments: string[]) => segments.filter((s) => !/^\d+$/.test(s));

export function isLocalSource(source: unknown): source is string {
  return typeof source === 'string' && (source.startsWith('./') || source.startsWith('../'));
}

/**
 * Every reference in every expression resolves: `var.x` is declared, `local.x` exists, `module.m.o` is a
 * module call whose (local) source declares output `o`, `data.t.n` and `t.n` are declared.
 */
export async function checkReferences(mod: TfModule, loadTarget: (source: string) => Promise<TfModule>): Promise<string[]> {
  const problems: string[] = [];
  // A variable's `type` (`${string}`) and `ignore_changes` (attribute names) are not expressions.
  const variables = [...mod.variables].map(([k, v]) => [k, { ...v, type: undefined }]);
  const everything: Json = {
    variable: Object.fromEntries(variables),
    locals: Object.fromEntries(mod.locals),
    resource: Object.fromEntries(mod.resources),
    data: Object.fromEntries(mod.data),
    module: Object.fromEntries(mod.modules),
    output: Object.fromEntries(mod.outputs),
  };
  const exprs = [...new Set(strings(everything))];
  const targets = new Map<string, TfModule>();
  for (const [name, call] of mod.modules) if (isLocalSource(call.source)) targets.set(name, await loadTarget(call.source));
  for (const expr of exprs) {
    let refs: Array<{ value: string }>;
    try {
      refs = await getReferencesInExpression('expr.tf', expr);
    } catch (err) {
      problems.push(`${mod.dir}: cannot parse expression ${expr}: ${(err as Error).message}`);
      continue;
    }
    for (const { value } of refs) {
      const seg = value.split('.');
      const [head, a, b] = [seg[0]!, seg[1], seg[2]];
      const where = `${mod.dir}: ${value} (in ${expr.length > 80 ? expr.slice(0, 77) + '…' : expr})`;
      switch (head) {
        case 'var':
          if (!a || !mod.variables.has(a)) problems.push(`${where}: variable "${a}" is not declared`);
          break;
        case 'local':
          if (!a || !mod.locals.has(a)) problems.push(`${where}: local "${a}" is not defined`);
          break;
        case 'module': {
          if (!a || !mod.modules.has(a)) {
            problems.push(`${where}: module "${a}" is not declared`);
            break;
          }
          const out = named(seg.slice(2))[0];
          const target = targets.get(a);
          if (target && out && !target.outputs.has(out)) problems.push(`${where}: module "${a}" (${mod.modules.get(a)!.source}) has no output "${out}"`);
          break;
        }
        case 'data':
          if (!a || !b || !mod.data.has(`${a}.${b}`)) problems.push(`${where}: data source ${a}.${b} is not declared`);
          break;
        case 'path':
        case 'terraform':
        case 'count':
        case 'each':
        case 'self':
          break;
        default:
          if (mod.iterators.has(head)) break;
          if (/^[a-z][a-z0-9]*_[a-z0-9_]+$/.test(head) && a) {
            if (!mod.resources.has(`${head}.${a}`)) problems.push(`${where}: resource ${head}.${a} is not declared`);
          } else problems.push(`${where}: unknown reference`);
      }
    }
  }
  return problems;
}

// -------------------------------------------------------------------------------------------- module calls

const META_ARGUMENTS = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);

/** Each local module call passes every required input of its target and nothing the target does not declare. */
export async function checkModuleCalls(mod: TfModule, loadTarget: (source: string) => Promise<TfModule>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, call] of mod.modules) {
    if (!isLocalSource(call.source)) {
      problems.push(`${mod.dir}: module "${name}" has a non-local source ${call.source}; only this repository's modules are used`);
      continue;
    }
    const target = await loadTarget(call.source);
    const inputs = Object.keys(call).filter((k) => !META_ARGUMENTS.has(k));
    for (const k of inputs) if (!target.variables.has(k)) problems.push(`${mod.dir}: module "${name}" passes unknown input "${k}" to ${call.source}`);
    for (const [v, def] of target.variables) if (!('default' in def) && !inputs.includes(v)) problems.push(`${mod.dir}: module "${name}" misses required input "${v}" of ${call.source}`);
  }
  return problems;
}

export function moduleLoader(baseDir: string, cache = new Map<string, Promise<TfModule>>()) {
  return (source: string) => {
    const dir = resolve(baseDir, source);
    let m = cache.get(dir);
    if (!m) cache.set(dir, (m = loadModule(dir)));
    return m;
  };
}

// ------------------------------------------------------------------------------------- module call trees

/** A module as one caller uses it: `inputs` are its call's arguments, written in the outermost caller's terms. */
export interface CalledModule {
  /** Call names from the root, e.g. ['security_group'] for module.security_group. */
  path: string[];
  mod: TfModule;
  inputs: Record<string, unknown>;
}

/**
 * A value of `mod` in its caller's terms: a whole `${var.x}` becomes the caller's input (any type) or the
 * default, a whole `${local.x}` its value; inside text, `expand` does the same for strings.
 */
export function resolveValue(value: unknown, mod: TfModule, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{(var|local)\.([A-Za-z0-9_-]+)\}$/.exec(value);
    if (whole) {
      const [, kind, name] = whole as unknown as [string, string, string];
      if (kind === 'local') return mod.locals.has(name) ? resolveValue(mod.locals.get(name), mod, vars) : value;
      const v = name in vars ? vars[name] : mod.variables.get(name)?.default;
      return v === undefined ? value : v;
    }
    return expand(value, mod, vars);
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, mod, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, resolveValue(v, mod, vars)]));
  return value;
}

/** The module and every local module it calls, recursively, each with its inputs resolved through its callers. */
export async function moduleTree(
  mod: TfModule,
  inputs: Record<string, unknown>,
  loadTarget: (fromDir: string, source: string) => Promise<TfModule>,
  path: string[] = [],
): Promise<CalledModule[]> {
  const out: CalledModule[] = [{ path, mod, inputs }];
  for (const [name, call] of mod.modules) {
    if (!isLocalSource(call.source)) continue;
    const child = await loadTarget(mod.dir, call.source);
    const childInputs = Object.fromEntries(Object.entries(call).filter(([k]) => !META_ARGUMENTS.has(k)).map(([k, v]) => [k, resolveValue(v, mod, inputs)]));
    out.push(...(await moduleTree(child, childInputs, loadTarget, [...path, name])));
  }
  return out;
}

// -------------------------------------------------------------------------------------------------- IAM

export interface Statement {
  doc: string;
  sid?: string;
  effect: string;
  actions: string[];
  resources: string[];
  conditions: Array<{ test: string; variable: string; values: string[] }>;
  principals: Array<{ type: string; identifiers: string[] }>;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [v as string]);

const POLICY_DOCUMENT_JSON = /^\$\{data\.aws_iam_policy_document\.[a-z0-9_]+(\[0\])?\.json\}$/;

/**
 * The statements of every `aws_iam_policy_document` in a module (dynamic statements are refused: they cannot be
 * checked). A policy taken from a variable (a shared module such as app-iam-role) is checked with its caller's
 * `inputs`: it must be a policy document of the caller, whose statements the caller's own check reads.
 */
export function policyStatements(mod: TfModule, inputs?: Record<string, unknown>): { statements: Statement[]; problems: string[] } {
  const statements: Statement[] = [];
  const problems: string[] = [];
  for (const [key, doc] of mod.data) {
    if (!key.startsWith('aws_iam_policy_document.')) continue;
    const name = key.slice('aws_iam_policy_document.'.length);
    if (doc.dynamic?.statement) problems.push(`${mod.dir}: policy document ${name} has a dynamic statement, which this checker cannot verify`);
    if (doc.source_policy_documents || doc.override_policy_documents) problems.push(`${mod.dir}: policy document ${name} merges other documents; keep statements explicit`);
    for (const s of (doc.statement ?? []) as Json[])
      statements.push({
        doc: name,
        sid: s.sid,
        effect: s.effect ?? 'Allow',
        actions: list(s.actions),
        resources: list(s.resources),
        conditions: ((s.condition ?? []) as Json[]).map((c) => ({ test: c.test, variable: c.variable, values: list(c.values) })),
        principals: ((s.principals ?? []) as Json[]).map((p) => ({ type: p.type, identifiers: list(p.identifiers) })),
      });
  }
  // Inline JSON policies would escape the checks above.
  for (const [key, r] of mod.resources) {
    if (!/^aws_iam_(role_)?policy\./.test(key) || typeof r.policy !== 'string' || POLICY_DOCUMENT_JSON.test(r.policy)) continue;
    const fromVar = /^\$\{var\.([A-Za-z0-9_]+)\}$/.exec(r.policy);
    if (!fromVar) problems.push(`${mod.dir}: ${key} does not take its policy from an aws_iam_policy_document`);
    else if (!inputs) problems.push(`${mod.dir}: ${key} takes its policy from var.${fromVar[1]}: check this module through its callers`);
    else if (typeof inputs[fromVar[1]!] !== 'string' || !POLICY_DOCUMENT_JSON.test(inputs[fromVar[1]!] as string))
      problems.push(`${mod.dir}: ${key} takes its policy from var.${fromVar[1]}, which its caller sets to ${JSON.stringify(inputs[fromVar[1]!])}, not an aws_iam_policy_document`);
  }
  return { statements, problems };
}

/** Actions AWS cannot scope to a resource: the only ones allowed on "*". */
export const RESOURCE_STAR_ACTIONS = new Set(['ec2:DescribeInstances', 'ec2:DescribeTags', 'cloudwatch:PutMetricData', 'sqs:ListQueues', 'kinesis:ListStreams']);

/** No Allow on "*" (except actions that only exist at "*") and no wildcard actions. */
export function checkNoWildcards(mod: TfModule, inputs?: Record<string, unknown>): string[] {
  const { statements, problems } = policyStatements(mod, inputs);
  for (const s of statements) {
    if (s.effect !== 'Allow') continue;
    const label = `${mod.dir}: ${s.doc}${s.sid ? `/${s.sid}` : ''}`;
    for (const a of s.actions) if (a === '*' || a.endsWith(':*')) problems.push(`${label}: wildcard action ${a}`);
    if (s.resources.includes('*') && !s.actions.every((a) => RESOURCE_STAR_ACTIONS.has(a))) problems.push(`${label}: resource "*" for ${s.actions.join(', ')}`);
  }
  return problems;
}

/**
 * Replace `${var.x}` (from `vars`, falling back to the variable's default) and `${local.x}` (string locals)
 * until nothing changes, so a module's ARN template reads in terms of its caller, e.g.
 * `arn:…:stream/${module.raw_stream.name}`. A whole-string literal input (`"raw"`) is inlined as text.
 */
export function expand(expr: string, mod: TfModule, vars: Record<string, unknown>): string {
  // Locals first (they may name other locals and variables), then variables once: a caller's input is in the
  // caller's terms and must not be expanded again in this module's.
  let out = expr;
  for (let i = 0; i < 10; i++) {
    const next = out.replace(/\$\{local\.([A-Za-z0-9_-]+)\}/g, (m, name: string) => {
      const value = mod.locals.get(name);
      return typeof value === 'string' ? value : m;
    });
    if (next === out) break;
    out = next;
  }
  // A value that is exactly one interpolation stays one; text is inlined.
  return out.replace(/\$\{var\.([A-Za-z0-9_-]+)\}/g, (m, name: string) => {
    const value = name in vars ? vars[name] : mod.variables.get(name)?.default;
    return typeof value === 'string' ? value : m;
  });
}

export interface Grant {
  action: string;
  resource: string;
  /** Call path of the module that grants it, when not the app module itself (e.g. `module.service`). */
  via?: string;
}

/** The (action, resource) pairs a module's permission policies grant (trust policies, with principals, excluded). */
export function grants(mod: TfModule, vars: Record<string, unknown>, docs?: string[]): { grants: Grant[]; problems: string[] } {
  const { statements, problems } = policyStatements(mod, vars);
  const out: Grant[] = [];
  for (const s of statements) {
    if (s.principals.length || s.effect !== 'Allow') continue;
    if (docs && !docs.includes(s.doc)) continue;
    for (const action of s.actions) for (const r of s.resources) out.push({ action, resource: expand(r, mod, vars) });
  }
  return { grants: out, problems };
}

/**
 * What a module call grants, its own policies plus those of every module it calls (the shared IAM role, the
 * service's instance policies), each resource read in the outermost caller's terms. `docs` limits the
 * outermost module's documents (a second role's policy, say); submodules count in full.
 */
export function treeGrants(tree: CalledModule[], docs?: string[]): { grants: Grant[]; problems: string[] } {
  const out: Grant[] = [];
  const problems: string[] = [];
  for (const { path, mod, inputs } of tree) {
    const got = grants(mod, inputs, path.length ? undefined : docs);
    problems.push(...got.problems);
    const via = path.length ? path.map((p) => `module.${p}`).join('.') : undefined;
    out.push(...got.grants.map((g) => (via ? { ...g, via } : g)));
  }
  return { grants: out, problems };
}

/** Compare granted pairs with the expected ones; both directions are problems. */
export function compareGrants(label: string, actual: Grant[], expected: Grant[]): string[] {
  const key = (g: Grant) => `${g.action} on ${g.resource}${g.via ? ` (via ${g.via})` : ''}`;
  const a = new Set(actual.map(key));
  const e = new Set(expected.map(key));
  return [
    ...[...a].filter((k) => !e.has(k)).map((k) => `${label}: grants ${k}, which is not its own resource`),
    ...[...e].filter((k) => !a.has(k)).map((k) => `${label}: does not grant ${k}, which it needs`),
  ];
}

// ------------------------------------------------------------------------------------------ security groups

export interface IngressRule {
  where: string;
  from: number | string;
  to: number | string;
  cidrs: string[];
}

const OPEN = ['0.0.0.0/0', '::/0'];

/**
 * Every ingress rule (aws_security_group_rule, aws_vpc_security_group_ingress_rule, inline ingress blocks)
 * with its CIDR blocks resolved: literal lists, or `var.x` resolved through `vars` (the caller's inputs) and
 * then the variable's default. Returns unresolved expressions as problems.
 */
export function ingressRules(mod: TfModule, resolveVar: (name: string) => unknown): { rules: IngressRule[]; problems: string[] } {
  const rules: IngressRule[] = [];
  const problems: string[] = [];
  const cidrsOf = (v: unknown, where: string): string[] => {
    if (v === undefined) return [];
    if (Array.isArray(v)) return v.flatMap((x) => cidrsOf(x, where));
    if (typeof v === 'string') {
      const m = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(v);
      if (m) return cidrsOf(resolveVar(m[1]!), where);
      if (!v.includes('${')) return [v];
    }
    problems.push(`${where}: cannot resolve CIDR blocks ${JSON.stringify(v)}`);
    return [];
  };
  for (const [key, r] of mod.resources) {
    const where = `${mod.dir}: ${key}`;
    if (key.startsWith('aws_security_group_rule.') && r.type === 'ingress')
      rules.push({ where, from: r.from_port, to: r.to_port, cidrs: [...cidrsOf(r.cidr_blocks, where), ...cidrsOf(r.ipv6_cidr_blocks, where)] });
    if (key.startsWith('aws_vpc_security_group_ingress_rule.'))
      rules.push({ where, from: r.from_port, to: r.to_port, cidrs: [...cidrsOf(r.cidr_ipv4, where), ...cidrsOf(r.cidr_ipv6, where)] });
    if (key.startsWith('aws_security_group.'))
      for (const i of (r.ingress ?? []) as Json[])
        rules.push({ where: `${where} (inline)`, from: i.from_port, to: i.to_port, cidrs: [...cidrsOf(i.cidr_blocks, where), ...cidrsOf(i.ipv6_cidr_blocks, where)] });
  }
  return { rules, problems };
}

/** The characters EC2 takes in a security group's or rule's description (the provider refuses others at plan). */
const SG_DESCRIPTION = /^[0-9A-Za-z_ .:/()#,@[\]+=&;{}!$*-]*$/;

/** Security group and rule descriptions use only those characters (interpolated values are not checked). */
export function checkSecurityGroupDescriptions(mod: TfModule): string[] {
  const problems: string[] = [];
  for (const [key, r] of mod.resources) {
    if (!/^aws_(security_group|security_group_rule|vpc_security_group_(ingress|egress)_rule)\./.test(key)) continue;
    const inline = key.startsWith('aws_security_group.') ? [...((r.ingress ?? []) as Json[]), ...((r.egress ?? []) as Json[])] : [];
    for (const d of [r.description, ...inline.map((b) => b.description)]) {
      if (typeof d !== 'string') continue;
      const literal = d.replace(/\$\{[^}]*\}/g, '');
      if (!SG_DESCRIPTION.test(literal)) problems.push(`${mod.dir}: ${key} description ${JSON.stringify(d)} has characters EC2 refuses`);
    }
  }
  return problems;
}

/** Ingress from the whole internet only in `publicModules` (the load balancers), only on 80 and 443. */
export function checkIngress(rules: IngressRule[], isPublicModule: (where: string) => boolean): string[] {
  const problems: string[] = [];
  for (const r of rules) {
    if (!r.cidrs.some((c) => OPEN.includes(c))) continue;
    const web = (r.from === 80 && r.to === 80) || (r.from === 443 && r.to === 443);
    if (!isPublicModule(r.where)) problems.push(`${r.where}: ingress ${r.from}-${r.to} from ${r.cidrs.join(', ')}: only load balancers may be open to the internet`);
    else if (!web) problems.push(`${r.where}: ingress ${r.from}-${r.to} from the internet: load balancers take only 80 and 443`);
  }
  return problems;
}
