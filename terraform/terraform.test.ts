/**
 * Static tests of terraform/ (there is no terraform binary here): declarations, references, module wiring,
 * least-privilege IAM, security-group ingress, the boot script, and the one config format (`furrow config
 * render`) for AWS and the emulator. Each checker also gets a broken fixture to show it can fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from '@cdktf/hcl2json';
import { parsePipelineConfig } from '../pipeline/config/index';
import {
  EMULATOR_ENDPOINTS,
  INFORMATIONAL_KEYS,
  OUTPUT_KEYS,
  RENDER_APPS,
  SECRET_ENV,
  placeholders,
  readOutputs,
  renderPipelineConfig,
  sectionPath,
  validateRendered,
  type Outputs,
  type RenderApp,
} from '../pipeline/config/render';
import { collectorConfig } from '../pipeline/collector/config';
import { s3LoaderConfig } from '../pipeline/s3-loader/config';
import {
  checkIngress,
  checkModuleCalls,
  checkNoWildcards,
  checkSecurityGroupDescriptions,
  checkReferences,
  checkVariables,
  compareGrants,
  grants,
  ingressRules,
  moduleDirs,
  moduleLoader,
  moduleTree,
  parseModule,
  policyStatements,
  resolveValue,
  treeGrants,
  type CalledModule,
  type Grant,
  type TfModule,
} from './checks';

const ROOT = import.meta.dirname;
const MODULES = join(ROOT, 'modules');
const QUICKSTART = join(ROOT, 'examples', 'quickstart');
const REQUIRED_MODULES = [
  'alb',
  'collector-ec2',
  'enrich-ec2',
  'kinesis-stream',
  'iglu-server-ec2',
  'rds-postgres',
  's3-loader-ec2',
  's3-bucket',
  'sqs-queue',
  'transformer-ec2',
  'snowflake-loader-ec2',
  'dynamodb-autoscaling',
];
/** Shared by the app modules: instances, security group, IAM role, KCL lease table. */
const SHARED_MODULES = ['service-ec2', 'app-security-group', 'app-iam-role', 'kcl-lease-table'];
const APP_MODULES = ['collector-ec2', 'enrich-ec2', 'iglu-server-ec2', 's3-loader-ec2', 'transformer-ec2', 'snowflake-loader-ec2'];
const CONSUMER_MODULES = ['enrich-ec2', 's3-loader-ec2', 'transformer-ec2'];

const cache = new Map<string, Promise<TfModule>>();
const load = (dir: string) => moduleLoader(dir, cache);
const loadFrom = (fromDir: string, source: string) => load(fromDir)(source);
const all = new Map<string, TfModule>();
let quickstart: TfModule;
/** The quick start and every module it calls, recursively, each with its inputs in the quick start's terms. */
let deployed: CalledModule[];
/** An app module as the quick start calls it (`call`), with the modules it calls. */
const appTree = (call: string, dir: string) => moduleTree(all.get(`modules/${dir}`)!, quickstart.modules.get(call)!, loadFrom);

beforeAll(async () => {
  for (const dir of moduleDirs(ROOT)) all.set(relative(ROOT, dir), await load(ROOT)(dir));
  quickstart = all.get('examples/quickstart')!;
  deployed = await moduleTree(quickstart, {}, loadFrom);
});

const fixture = (sources: Record<string, string>, name = 'fixture') => parseModule(name, sources);

describe('module layout', () => {
  it('has every module of the quick start inventory, each in the snowplow-devops file layout with a pinned aws provider', async () => {
    for (const m of [...REQUIRED_MODULES, ...SHARED_MODULES]) {
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) expect(existsSync(join(MODULES, m, f)), `${m}/${f}`).toBe(true);
      const mod = all.get(`modules/${m}`)!;
      const aws = mod.terraform.flatMap((t) => (t.required_providers ?? []) as Array<Record<string, { source: string; version: string }>>).find((p) => p.aws)?.aws;
      expect(aws?.source, m).toBe('hashicorp/aws');
      expect(aws?.version, m).toMatch(/^~> \d+\.\d+$/);
    }
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'terraform.tfvars.example', 'terraform-outputs.example.json'])
      expect(existsSync(join(QUICKSTART, f)), f).toBe(true);
  });

  it('gives every variable a type and a description, every output a description', () => {
    const problems = [...all.values()].flatMap(checkVariables);
    expect(problems).toEqual([]);
    expect(all.size).toBeGreaterThanOrEqual(17);
  });

  it('the variable checker catches a missing type or description', async () => {
    const bad = await fixture({ 'variables.tf': 'variable "a" {\n  description = "fine here"\n}\nvariable "b" {\n  type = string\n}\n' });
    expect(checkVariables(bad)).toEqual(['fixture: variable "a" has no type', 'fixture: variable "b" has no description']);
  });

  it('keeps the quick start defaults (spec 6.3)', () => {
    const dflt = (m: string, v: string) => all.get(`modules/${m}`)!.variables.get(v)?.default;
    expect([dflt('collector-ec2', 'instance_type'), dflt('collector-ec2', 'min_size'), dflt('collector-ec2', 'max_size')]).toEqual(['t3a.micro', 1, 2]);
    expect([dflt('enrich-ec2', 'instance_type'), dflt('enrich-ec2', 'initial_position'), dflt('enrich-ec2', 'kcl_write_max_capacity')]).toEqual(['t3a.small', 'TRIM_HORIZON', 10]);
    expect([dflt('s3-loader-ec2', 'instance_type'), dflt('transformer-ec2', 'instance_type'), dflt('snowflake-loader-ec2', 'instance_type')]).toEqual(['t3a.micro', 't3a.small', 't3a.micro']);
    expect([dflt('transformer-ec2', 'window_period_min'), dflt('iglu-server-ec2', 'patches_allowed')]).toEqual([5, true]);
    expect([dflt('rds-postgres', 'instance_class'), dflt('rds-postgres', 'allocated_storage'), dflt('rds-postgres', 'port'), dflt('rds-postgres', 'backup_retention_period')]).toEqual([
      'db.t3.micro',
      10,
      5432,
      7,
    ]);
    expect([dflt('kinesis-stream', 'shard_count'), dflt('kinesis-stream', 'retention_period'), dflt('kinesis-stream', 'kms_key_id')]).toEqual([1, 24, 'alias/aws/kinesis']);
    // service-ec2's CPU scaling defaults (merged under the `autoscaling` input), the same for every app.
    const scaling = Object.fromEntries([...String(all.get('modules/service-ec2')!.locals.get('autoscaling')).matchAll(/(scale_\w+)\s*=\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(scaling).toEqual({
      scale_up_cooldown_sec: 180,
      scale_up_cpu_threshold_percentage: 60,
      scale_up_eval_minutes: 5,
      scale_down_cooldown_sec: 600,
      scale_down_cpu_threshold_percentage: 20,
      scale_down_eval_minutes: 60,
    });
    expect(all.get('modules/service-ec2')!.variables.get('autoscaling')?.validation?.[0]?.condition).toContain('scale_down_eval_minutes');
    for (const m of APP_MODULES.filter((m) => m !== 'snowflake-loader-ec2')) {
      expect(dflt(m, 'autoscaling'), m).toEqual({});
      expect(all.get(`modules/${m}`)!.modules.get('service')?.autoscaling, m).toBe('${var.autoscaling}');
    }
    expect([dflt('dynamodb-autoscaling', 'write_target_value'), dflt('dynamodb-autoscaling', 'write_scale_in_cooldown'), dflt('dynamodb-autoscaling', 'write_scale_out_cooldown')]).toEqual([85, 300, 30]);
    expect(quickstart.variables.get('pipeline_kcl_write_max_capacity')?.default).toBe(50);
  });
});

describe('references', () => {
  it('resolve everywhere: variables, locals, module outputs, resources and data sources', async () => {
    const problems: string[] = [];
    for (const [dir, mod] of all) problems.push(...(await checkReferences(mod, load(join(ROOT, dir)))));
    expect(problems).toEqual([]);
  });

  it('the reference checker catches an undeclared variable, local, resource, data source and module output', async () => {
    const target = await fixture({ 'outputs.tf': 'output "arn" {\n  description = "x"\n  value = "a"\n}\n' }, 'target');
    const bad = await fixture({
      'main.tf': `
locals { known = var.declared }
resource "aws_sqs_queue" "q" {
  name = "\${var.undeclared}-\${local.unknown}"
  tags = { a = aws_sns_topic.missing.arn, b = data.aws_region.missing.name, c = module.m.nope, d = module.m.arn, e = local.known }
}
module "m" { source = "./target" }
`,
      'variables.tf': 'variable "declared" {\n  type = string\n  description = "declared var"\n}\n',
    });
    const problems = await checkReferences(bad, async () => target);
    expect(problems.join('\n')).toMatch(/var\.undeclared.*variable "undeclared" is not declared/);
    expect(problems.join('\n')).toMatch(/local "unknown" is not defined/);
    expect(problems.join('\n')).toMatch(/resource aws_sns_topic\.missing is not declared/);
    expect(problems.join('\n')).toMatch(/data source aws_region\.missing is not declared/);
    expect(problems.join('\n')).toMatch(/module "m" \(\.\/target\) has no output "nope"/);
    expect(problems).toHaveLength(5);
  });
});

describe('module calls', () => {
  it('every call passes each required input of its module and no unknown input (quick start and nested calls)', async () => {
    const problems: string[] = [];
    for (const [dir, mod] of all) problems.push(...(await checkModuleCalls(mod, load(join(ROOT, dir)))));
    expect(problems).toEqual([]);
    expect([...quickstart.modules.keys()].sort()).toEqual(
      [
        'bad_1_stream',
        'bad_2_stream',
        'collector',
        'collector_lb',
        'enriched_stream',
        'enrich',
        'iglu_db',
        'iglu_lb',
        'iglu_server',
        'loader_queue',
        'pipeline_bucket',
        'raw_stream',
        's3_loader_bad',
        's3_loader_enriched',
        's3_loader_raw',
        'snowflake_loader',
        'transformer',
      ].sort(),
    );
  });

  it('wires every module of the inventory from the quick start, and every module stands alone (only its own inputs)', () => {
    const sources = new Set([...quickstart.modules.values()].map((m) => basename(m.source as string)));
    for (const m of REQUIRED_MODULES.filter((m) => m !== 'dynamodb-autoscaling')) expect(sources, m).toContain(m);
    // dynamodb-autoscaling scales each consumer's lease table (kcl-lease-table), as in snowplow-devops.
    for (const m of CONSUMER_MODULES) expect(all.get(`modules/${m}`)!.modules.get('lease_table')?.source, m).toBe('../kcl-lease-table');
    expect(all.get('modules/kcl-lease-table')!.modules.get('autoscaling')).toMatchObject({ source: '../dynamodb-autoscaling', table_name: '${aws_dynamodb_table.this.name}' });
    // Every app takes its security group and role from the shared modules, and runs on service-ec2 with both.
    for (const m of APP_MODULES) {
      const mod = all.get(`modules/${m}`)!;
      expect([mod.modules.get('security_group')?.source, mod.modules.get('iam_role')?.source, mod.modules.get('service')?.source], m).toEqual(['../app-security-group', '../app-iam-role', '../service-ec2']);
      expect([mod.modules.get('service')?.vpc_security_group_ids, mod.modules.get('service')?.iam_role_name], m).toEqual([['${module.security_group.id}'], '${module.iam_role.name}']);
    }
    // A module references only its own variables, resources and sibling modules inside terraform/modules.
    for (const [dir, mod] of all)
      if (dir.startsWith('modules/')) for (const call of mod.modules.values()) expect(resolve(MODULES, basename(dir), call.source as string).startsWith(MODULES)).toBe(true);
  });

  it('passes the quick start streams as the seed describes', () => {
    const input = (m: string, k: string) => quickstart.modules.get(m)![k];
    expect([input('raw_stream', 'name'), input('bad_1_stream', 'name'), input('enriched_stream', 'name'), input('bad_2_stream', 'name')]).toEqual([
      '${var.prefix}-raw-stream',
      '${var.prefix}-bad-1-stream',
      '${var.prefix}-enriched-stream',
      '${var.prefix}-bad-2-stream',
    ]);
    expect([input('collector', 'good_stream_name'), input('collector', 'bad_stream_name')]).toEqual(['${module.raw_stream.name}', '${module.bad_1_stream.name}']);
    expect([input('enrich', 'in_stream_name'), input('enrich', 'enriched_stream_name'), input('enrich', 'bad_stream_name')]).toEqual([
      '${module.raw_stream.name}',
      '${module.enriched_stream.name}',
      '${module.bad_1_stream.name}',
    ]);
    for (const m of ['enrich', 's3_loader_raw', 's3_loader_enriched', 's3_loader_bad', 'transformer'])
      expect(input(m, 'kcl_write_max_capacity'), m).toBe('${var.pipeline_kcl_write_max_capacity}');
    expect(input('loader_queue', 'name')).toBe('${var.prefix}-sf-loader.fifo');
  });

  it('the call checker catches a missing required input and an unknown one', async () => {
    const target = await fixture({ 'variables.tf': 'variable "needed" {\n  type = string\n  description = "required"\n}\nvariable "optional" {\n  type = string\n  description = "has default"\n  default = ""\n}\n' }, 'target');
    const caller = await fixture({ 'main.tf': 'module "m" {\n  source = "./target"\n  optional = "x"\n  typo = "y"\n}\n' });
    expect(await checkModuleCalls(caller, async () => target)).toEqual([
      'fixture: module "m" passes unknown input "typo" to ./target',
      'fixture: module "m" misses required input "needed" of ./target',
    ]);
  });
});

// ------------------------------------------------------------------------------------------------- IAM

const P = '${data.aws_partition.current.partition}';
const R = '${data.aws_region.current.name}';
const A = '${data.aws_caller_identity.current.account_id}';
const stream = (m: string) => `arn:${P}:kinesis:${R}:${A}:stream/\${module.${m}.name}`;
const bucket = `arn:${P}:s3:::\${module.pipeline_bucket.bucket_name}`;
const queue = (out: string) => `arn:${P}:sqs:${R}:${A}:\${module.loader_queue.${out}}`;
const LEASE = '${module.lease_table.arn}';
const pairs = (actions: string[], resources: string[]): Grant[] => actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
const READ_STREAM = ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'];
const WRITE_STREAM = ['kinesis:PutRecord', 'kinesis:PutRecords'];
const LEASE_TABLE = ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const SECRET = ['secretsmanager:GetSecretValue'];
const PUT_OBJECT = ['s3:PutObject', 's3:AbortMultipartUpload'];

/** What service-ec2 adds to every app's role: the pinned release object, and marking its own group's instances unhealthy. */
const SERVICE_GRANTS: Grant[] = [
  { action: 's3:GetObject', resource: `arn:${P}:s3:::\${trimprefix(var.furrow_artifact_s3_uri, "s3://")}`, via: 'module.service' },
  { action: 'autoscaling:SetInstanceHealth', resource: '${aws_autoscaling_group.this.arn}', via: 'module.service' },
];

/** Exactly what each app's role may do, in terms of the quick start's own resources (plus SERVICE_GRANTS). */
const EXPECTED: Record<string, { module: string; docs?: string[]; grants: Grant[] }> = {
  collector: { module: 'collector-ec2', grants: pairs(WRITE_STREAM, [stream('raw_stream'), stream('bad_1_stream')]) },
  enrich: {
    module: 'enrich-ec2',
    grants: [
      ...pairs(READ_STREAM, [stream('raw_stream')]),
      ...pairs(WRITE_STREAM, [stream('enriched_stream'), stream('bad_1_stream')]),
      ...pairs(LEASE_TABLE, [LEASE]),
      ...pairs(SECRET, ['${aws_secretsmanager_secret.iglu_super_api_key.arn}']),
    ],
  },
  iglu_server: { module: 'iglu-server-ec2', grants: pairs(SECRET, ['${module.iglu_db.password_secret_arn}', '${aws_secretsmanager_secret.iglu_super_api_key.arn}']) },
  ...Object.fromEntries(
    (
      [
        ['s3_loader_raw', 'raw_stream', 'raw'],
        ['s3_loader_enriched', 'enriched_stream', 'enriched'],
        ['s3_loader_bad', 'bad_1_stream', 'bad'],
      ] as const
    ).map(([call, input, prefix]) => [
      call,
      {
        module: 's3-loader-ec2',
        grants: [...pairs(READ_STREAM, [stream(input)]), ...pairs(WRITE_STREAM, [stream('bad_2_stream')]), ...pairs(PUT_OBJECT, [`${bucket}/${prefix}/*`]), ...pairs(LEASE_TABLE, [LEASE])],
      },
    ]),
  ),
  transformer: {
    module: 'transformer-ec2',
    grants: [
      ...pairs(READ_STREAM, [stream('enriched_stream')]),
      ...pairs(PUT_OBJECT, [`${bucket}/transformed/*`]),
      ...pairs(['sqs:GetQueueUrl', 'sqs:SendMessage'], [queue('name')]),
      ...pairs(LEASE_TABLE, [LEASE]),
    ],
  },
  snowflake_loader: {
    module: 'snowflake-loader-ec2',
    docs: ['app', 'dead_letter'],
    grants: [
      ...pairs(['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage'], [queue('name')]),
      ...pairs(['sqs:GetQueueUrl', 'sqs:SendMessage'], [queue('dead_letter_queue_name')]),
      ...pairs(['s3:GetObject'], [`${bucket}/transformed/*`]),
      ...pairs(['s3:ListBucket'], [bucket]),
      ...pairs(SECRET, ['${aws_secretsmanager_secret.snowflake_password.arn}']),
    ],
  },
};

describe('IAM least privilege', () => {
  it('grants each app exactly its own streams, bucket prefix, queue, lease table and secrets, as wired by the quick start (its submodules\' policies included)', async () => {
    const problems: string[] = [];
    for (const [call, want] of Object.entries(EXPECTED)) {
      const got = treeGrants(await appTree(call, want.module), want.docs);
      problems.push(...got.problems, ...compareGrants(call, got.grants, [...want.grants, ...SERVICE_GRANTS]));
    }
    expect(problems).toEqual([]);
  });

  it('the grant checker follows module calls: a grant in a called module counts for its caller, in the caller\'s terms', async () => {
    const shared = await fixture(
      {
        'main.tf': `
variable "stream" {
  type        = string
  description = "stream to write"
}
data "aws_iam_policy_document" "extra" {
  statement {
    actions   = ["kinesis:PutRecord"]
    resources = ["arn:aws:kinesis:r:1:stream/\${var.stream}"]
  }
}
resource "aws_iam_role_policy" "this" {
  role   = "r"
  policy = var.policy_json
}
variable "policy_json" {
  type        = string
  description = "the caller's policy"
}
`,
      },
      'shared',
    );
    const app = await fixture({
      'main.tf': `
variable "other_stream" {
  type        = string
  description = "a stream that is not the app's"
}
module "role" {
  source      = "./shared"
  stream      = var.other_stream
  policy_json = jsonencode({ Statement = [] })
}
`,
    });
    const tree = await moduleTree(app, { other_stream: '${module.enriched_stream.name}' }, async () => shared);
    const got = treeGrants(tree);
    expect(got.problems).toEqual(['shared: aws_iam_role_policy.this takes its policy from var.policy_json, which its caller sets to "${jsonencode({ Statement = [] })}", not an aws_iam_policy_document']);
    expect(compareGrants('app', got.grants, [])).toEqual(['app: grants kinesis:PutRecord on arn:aws:kinesis:r:1:stream/${module.enriched_stream.name} (via module.role), which is not its own resource']);
    // On its own, a module whose policy is a variable cannot be checked: it says so rather than passing.
    expect(policyStatements(shared).problems).toEqual(['shared: aws_iam_role_policy.this takes its policy from var.policy_json: check this module through its callers']);
  });

  it('gives Snowflake (through the stage role) read-only access to transformed/, and trusts only the integration user with its external id', () => {
    const loader = all.get('modules/snowflake-loader-ec2')!;
    const got = grants(loader, quickstart.modules.get('snowflake_loader')!, ['stage']);
    expect(compareGrants('stage', got.grants, [...pairs(['s3:GetObject', 's3:GetObjectVersion'], [`${bucket}/transformed/*`]), ...pairs(['s3:ListBucket', 's3:GetBucketLocation'], [bucket])])).toEqual([]);
    const trust = policyStatements(loader).statements.find((s) => s.doc === 'stage_trust')!;
    expect(trust.principals).toEqual([{ type: 'AWS', identifiers: ['${var.snowflake_storage_aws_iam_user_arn}'] }]);
    expect(trust.conditions).toEqual([{ test: 'StringEquals', variable: 'sts:ExternalId', values: ['${var.snowflake_storage_aws_external_id}'] }]);
  });

  it('limits every bucket-level s3:ListBucket to the app prefix', () => {
    for (const mod of all.values())
      for (const s of policyStatements(mod).statements.filter((s) => s.actions.includes('s3:ListBucket')))
        expect(s.conditions, `${mod.dir}/${s.sid}`).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: ['transformed/*'] }]);
  });

  it('lets instances read only the pinned release object and mark only their own group unhealthy', () => {
    const service = all.get('modules/service-ec2')!;
    const got = grants(service, {});
    expect(compareGrants('service-ec2', got.grants, [
      { action: 's3:GetObject', resource: `arn:${P}:s3:::\${trimprefix(var.furrow_artifact_s3_uri, "s3://")}` },
      { action: 'autoscaling:SetInstanceHealth', resource: '${aws_autoscaling_group.this.arn}' },
    ])).toEqual([]);
    // The URI itself is validated as s3://bucket/key (no wildcard can reach the ARN).
    expect(service.variables.get('furrow_artifact_s3_uri')?.validation?.[0]?.condition).toContain('regex(');
  });

  it('app roles are assumable by EC2 only, and carry their app\'s own policy document', async () => {
    for (const [call, { module: m }] of Object.entries(EXPECTED)) {
      const trust = (await appTree(call, m)).flatMap((n) => policyStatements(n.mod, n.inputs).statements.filter((s) => s.principals.length && n.path.join('.') === 'iam_role'));
      expect(trust.map((s) => [s.doc, s.actions, s.principals]), m).toEqual([['assume_role', ['sts:AssumeRole'], [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }]]]);
      expect(all.get(`modules/${m}`)!.modules.get('iam_role')?.policy_json, m).toBe('${data.aws_iam_policy_document.app.json}');
    }
  });

  it('has no wildcard actions and no "*" resources anywhere (every module checked as the quick start calls it)', () => {
    const checked = new Set(deployed.map((n) => n.mod.dir));
    for (const dir of all.keys()) expect(checked, dir).toContain(join(ROOT, dir));
    expect([...new Set(deployed.flatMap((n) => checkNoWildcards(n.mod, n.inputs)))]).toEqual([]);
  });

  it('the IAM checkers catch a "*" resource, a wildcard action, a foreign stream and an inline JSON policy', async () => {
    const bad = await fixture({
      'main.tf': `
data "aws_iam_policy_document" "app" {
  statement {
    actions   = ["kinesis:PutRecords"]
    resources = ["*"]
  }
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b/raw/*"]
  }
  statement {
    actions   = ["kinesis:PutRecord"]
    resources = ["arn:aws:kinesis:r:1:stream/\${var.other_stream}"]
  }
}
resource "aws_iam_role_policy" "inline" {
  role   = "r"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
`,
    });
    expect(checkNoWildcards(bad)).toEqual([
      'fixture: aws_iam_role_policy.inline does not take its policy from an aws_iam_policy_document',
      'fixture: app: resource "*" for kinesis:PutRecords',
      'fixture: app: wildcard action s3:*',
    ]);
    const got = grants(bad, { other_stream: '${module.enriched_stream.name}' });
    const problems = compareGrants('collector', got.grants, [{ action: 'kinesis:PutRecord', resource: 'arn:aws:kinesis:r:1:stream/${module.raw_stream.name}' }]);
    expect(problems).toContain('collector: grants kinesis:PutRecord on arn:aws:kinesis:r:1:stream/${module.enriched_stream.name}, which is not its own resource');
    expect(problems).toContain('collector: does not grant kinesis:PutRecord on arn:aws:kinesis:r:1:stream/${module.raw_stream.name}, which it needs');
  });
});

// --------------------------------------------------------------------------------------- security groups

describe('security groups', () => {
  /** A module's variable as the quick start sets it, through every caller in between. */
  const resolverFor = (n: CalledModule) => (name: string) => resolveValue(`\${var.${name}}`, n.mod, n.inputs);

  it('open only the load balancers to the internet, on 80/443; instances take traffic from their load balancer only', () => {
    const problems: string[] = [];
    let rules = 0;
    const checked = new Set(deployed.map((n) => n.mod.dir));
    for (const dir of all.keys()) expect(checked, dir).toContain(join(ROOT, dir));
    for (const n of deployed) {
      const r = ingressRules(n.mod, resolverFor(n));
      rules += r.rules.length;
      problems.push(...r.problems, ...checkIngress(r.rules, (where) => where.startsWith(join(MODULES, 'alb'))));
    }
    expect(problems).toEqual([]);
    expect(rules).toBeGreaterThanOrEqual(8);
    // The app instances' only non-SSH ingress is from their load balancer's security group (collector, Iglu Server), or none.
    const lbRule = all.get('modules/app-security-group')!.resources.get('aws_security_group_rule.ingress_from_lb')!;
    expect([lbRule.source_security_group_id, lbRule.from_port, lbRule.count]).toEqual(['${var.load_balancer.security_group_id}', '${var.load_balancer.port}', '${var.load_balancer != null ? 1 : 0}']);
    const sg = (app: string) => deployed.find((n) => n.path.join('.') === `${app}.security_group`)!.inputs.load_balancer;
    expect([sg('collector'), sg('iglu_server')]).toEqual([
      { security_group_id: '${module.collector_lb.security_group_id}', port: 8080 },
      { security_group_id: '${module.iglu_lb.security_group_id}', port: all.get('modules/iglu-server-ec2')!.variables.get('ingress_port')!.default },
    ]);
    for (const app of ['enrich', 's3_loader_raw', 's3_loader_enriched', 's3_loader_bad', 'transformer', 'snowflake_loader']) expect(sg(app), app).toBeUndefined();
    expect(all.get('modules/rds-postgres')!.resources.get('aws_security_group_rule.ingress_postgres')?.source_security_group_id).toBe('${var.ingress_security_group_ids[count.index]}');
    // Every app's SSH allowlist reaches app-security-group unchanged, which refuses the whole internet at plan time.
    expect(all.get('modules/app-security-group')!.variables.get('ssh_ip_allowlist')?.validation?.[0]?.condition).toBe('${!contains(var.ssh_ip_allowlist, "0.0.0.0/0") && !contains(var.ssh_ip_allowlist, "::/0")}');
    for (const m of APP_MODULES) expect(all.get(`modules/${m}`)!.modules.get('security_group')?.ssh_ip_allowlist, m).toBe('${var.ssh_ip_allowlist}');
  });

  it('describe groups and rules only with the characters EC2 accepts (an apostrophe failed every app module at plan)', async () => {
    expect([...all.values()].flatMap(checkSecurityGroupDescriptions)).toEqual([]);
    const bad = await fixture({
      'main.tf': `
resource "aws_security_group" "g" {
  description = "app \${var.name}"
  ingress {
    description = "from the LB's group"
  }
}
resource "aws_security_group_rule" "ssh" {
  description = "SSH from the operators' addresses"
}
`,
    });
    expect(checkSecurityGroupDescriptions(bad)).toEqual([
      'fixture: aws_security_group.g description "from the LB\'s group" has characters EC2 refuses',
      'fixture: aws_security_group_rule.ssh description "SSH from the operators\' addresses" has characters EC2 refuses',
    ]);
  });

  it('the ingress checker catches SSH from 0.0.0.0/0 through a variable default, and a load balancer open on 8080', async () => {
    const app = await fixture({
      'main.tf': `
variable "ssh_ip_allowlist" {
  type        = list(string)
  description = "who may SSH"
  default     = ["0.0.0.0/0"]
}
resource "aws_security_group_rule" "ssh" {
  type        = "ingress"
  from_port   = 22
  to_port     = 22
  protocol    = "tcp"
  cidr_blocks = var.ssh_ip_allowlist
  security_group_id = "sg-1"
}
resource "aws_security_group" "lb" {
  ingress {
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`,
    });
    const r = ingressRules(app, (n) => app.variables.get(n)?.default);
    expect(checkIngress(r.rules, () => false).sort()).toEqual([
      'fixture: aws_security_group.lb (inline): ingress 8080-8080 from 0.0.0.0/0: only load balancers may be open to the internet',
      'fixture: aws_security_group_rule.ssh: ingress 22-22 from 0.0.0.0/0: only load balancers may be open to the internet',
    ]);
    expect(checkIngress(r.rules, () => true)).toHaveLength(2);
  });
});

// ------------------------------------------------------------------------------------------- secrets

describe('secrets', () => {
  it('never pass a secret value to a module: only Secrets Manager ARNs, and the sensitive password only into a secret version', () => {
    for (const [dir, mod] of all) {
      for (const name of mod.variables.keys())
        if (/password|api_key|secret|token/.test(name) && dir !== 'examples/quickstart' && name !== 'secret_env') expect(name, `${dir}: ${name}`).toMatch(/_secret_arn$/);
    }
    // service-ec2's secret_env maps env names to ARNs, and says so in its validation.
    expect(all.get('modules/service-ec2')!.variables.get('secret_env')?.validation?.[0]?.condition).toContain('secretsmanager:');
    expect(quickstart.variables.get('snowflake_loader_password')?.sensitive).toBe(true);
    const text = ['main.tf', 'outputs.tf'].map((f) => readFileSync(join(QUICKSTART, f), 'utf8')).join('\n');
    const uses = text.split('\n').filter((l) => /var\.snowflake_loader_password|random_uuid\.iglu_super_api_key\.result/.test(l));
    expect(uses.map((l) => l.trim()).sort()).toEqual(['secret_string = random_uuid.iglu_super_api_key.result', 'secret_string = var.snowflake_loader_password']);
    for (const o of quickstart.outputs.values()) expect(o.sensitive).toBeUndefined();
  });

  it('the boot script gets only ARNs: its deployment values hold no secret reference', () => {
    for (const m of ['collector-ec2', 'enrich-ec2', 'iglu-server-ec2', 's3-loader-ec2', 'transformer-ec2', 'snowflake-loader-ec2']) {
      const deployment = JSON.stringify(all.get(`modules/${m}`)!.locals.get('deployment'));
      expect(deployment, m).not.toMatch(/secret|password|api_key/i);
    }
  });
});

// ------------------------------------------------------------------------------------------- boot script

describe('user_data', () => {
  const templatePath = join(MODULES, 'service-ec2', 'templates', 'user-data.sh.tftpl');
  const template = readFileSync(templatePath, 'utf8');
  const passed = () => {
    const call = all.get('modules/service-ec2')!.locals.get('user_data') as string;
    return [...call.matchAll(/^\s{4}([a-z_0-9]+)\s*=/gm)].map((m) => m[1]!).sort();
  };

  it('uses exactly the variables the module passes to templatefile, and no template directives', () => {
    const used = [...new Set([...template.matchAll(/(?<!\$)\$\{([a-z_0-9]+)\}/g)].map((m) => m[1]!))].sort();
    expect(used).toEqual(passed());
    expect(template).not.toMatch(/(?<!%)%\{/);
  });

  it('renders to a bash script that parses, installs Node 20 and the pinned release, and runs `furrow config render --target aws`', () => {
    const values: Record<string, string> = {
      name: 'furrow-enrich',
      region: 'us-east-1',
      app_command: 's3-loader',
      app_args: '--purpose raw',
      render_app: 's3-loader-raw',
      config_section: 's3Loader.raw',
      deployment_b64: Buffer.from('{"aws_region":"us-east-1"}').toString('base64'),
      secrets_b64: Buffer.from('IGLU_API_KEY=arn:aws:secretsmanager:us-east-1:1:secret:k\n').toString('base64'),
      artifact_s3_uri: '',
      artifact_sha256: '',
      furrow_package: 'furrow',
      furrow_version: '0.1.0',
      health_watchdog: 'true',
    };
    expect(Object.keys(values).sort()).toEqual(passed());
    const script = template.replace(/(?<!\$)\$\{([a-z_0-9]+)\}/g, (_m, k: string) => values[k]!).replace(/\$\$\{/g, '${');
    const file = join(mkdtempSync(join(tmpdir(), 'furrow-tf-')), 'user-data.sh');
    writeFileSync(file, script);
    execFileSync('bash', ['-n', file]);
    expect(script).toContain('dnf install -y nodejs20 nodejs20-npm');
    expect(script).toContain("npm-20 install --prefix /opt/furrow/app --omit=dev --no-audit --no-fund 'furrow@0.1.0'");
    expect(script).toContain('sha256sum --check --strict');
    expect(script).toContain('config render --target aws --outputs /etc/furrow/deployment.json --app s3-loader-raw --out /var/lib/furrow');
    expect(script).toContain('ExecStart=/opt/furrow/bin/furrow-app s3-loader --config /var/lib/furrow/s3-loader-raw.json --purpose raw');
    expect(script).toContain('aws secretsmanager get-secret-value');
    expect(script).toMatch(/curl -fsS -m 5 "http:\/\/127\.0\.0\.1:\\\$PORT\/health"/);
  });

  it('runs every app in an auto-scaling group with CPU scaling policies and /health checks', () => {
    const service = all.get('modules/service-ec2')!;
    expect(service.resources.get('aws_autoscaling_group.this')?.launch_template).toBeDefined();
    expect(service.resources.get('aws_cloudwatch_metric_alarm.cpu_high')?.metric_name).toBe('CPUUtilization');
    expect(service.resources.get('aws_cloudwatch_metric_alarm.cpu_low')?.metric_name).toBe('CPUUtilization');
    expect(service.resources.get('aws_launch_template.this')?.metadata_options?.[0]?.http_tokens).toBe('required');
    for (const m of ['collector-ec2', 'iglu-server-ec2']) expect(all.get(`modules/${m}`)!.modules.get('service')?.health_check_type, m).toBe('ELB');
    for (const m of ['enrich-ec2', 's3-loader-ec2', 'transformer-ec2', 'snowflake-loader-ec2'])
      expect(all.get(`modules/${m}`)!.modules.get('service')?.health_watchdog_enabled, m).toBe('${var.health_watchdog_enabled}');
    expect(all.get('modules/alb')!.variables.get('health_check_path')?.default).toBe('/health');
    for (const lb of ['collector_lb', 'iglu_lb']) expect(quickstart.modules.get(lb)?.health_check_path).toBe('/health');
  });
});

// ----------------------------------------------------------------------------------- config render

const FIXTURE = JSON.parse(readFileSync(join(QUICKSTART, 'terraform-outputs.example.json'), 'utf8')) as Record<string, unknown>;
const fixtureOutputs = () => readOutputs(FIXTURE).outputs;

describe('furrow config render', () => {
  it('the outputs fixture matches outputs.tf, and outputs.tf declares every key the renderer reads', () => {
    expect(Object.keys(FIXTURE).sort()).toEqual([...quickstart.outputs.keys()].sort());
    const known = new Set<string>([...Object.keys(OUTPUT_KEYS), ...INFORMATIONAL_KEYS]);
    for (const k of quickstart.outputs.keys()) expect(known.has(k), k).toBe(true);
    for (const k of Object.keys(OUTPUT_KEYS).filter((k) => k !== 'health_port' && k !== 'config_overrides')) expect(quickstart.outputs.has(k), k).toBe(true);
    expect(readOutputs(FIXTURE).unknown).toEqual([]);
  });

  it('renders the whole pipeline for AWS: real names, no endpoint or credentials, secrets only as ${ENV}, every section valid for its app', () => {
    const cfg = renderPipelineConfig('aws', fixtureOutputs());
    expect(cfg.aws).toEqual({ region: 'us-east-1' });
    expect(cfg.streams).toEqual({ raw: 'furrow-raw-stream', enriched: 'furrow-enriched-stream', bad1: 'furrow-bad-1-stream', bad2: 'furrow-bad-2-stream' });
    expect(cfg.names).toEqual({ bucket: 'furrow-pipeline-123456789012-us-east-1', queue: 'furrow-sf-loader.fifo' });
    expect([...placeholders(cfg).keys()].sort()).toEqual(Object.values(SECRET_ENV).sort());
    expect(validateRendered(cfg)).toEqual([...RENDER_APPS]);
    // With real values in the environment, the apps see them.
    const env = { IGLU_API_KEY: 'k', IGLU_SUPER_API_KEY: '6b1cd1ae-8c7f-4d6b-9b2e-8c6c3f2d1a00', IGLU_DB_PASSWORD: 'pw', SNOWFLAKE_PASSWORD: 'sf' };
    const loaded = parsePipelineConfig(JSON.stringify(cfg), 'aws', env);
    expect((loaded.igluServer as { database: { url: string } }).database.url).toBe('postgres://iglu:pw@furrow-iglu-db.abcdefghijkl.us-east-1.rds.amazonaws.com:5432/iglu');
    expect(collectorConfig(loaded)).toMatchObject({ interface: '0.0.0.0', port: 8080, goodStream: 'furrow-raw-stream', badStream: 'furrow-bad-1-stream' });
    expect(s3LoaderConfig(loaded, 'bad')).toMatchObject({
      input: { stream: 'furrow-bad-1-stream', applicationName: 'furrow-s3-loader-bad' },
      output: { path: 's3://furrow-pipeline-123456789012-us-east-1/bad/' },
      badStream: 'furrow-bad-2-stream',
    });
    expect(validateRendered(cfg, env)).toEqual([...RENDER_APPS]);
    // Without them, loading fails rather than running with a blank secret.
    expect(() => parsePipelineConfig(JSON.stringify(cfg), 'aws', {})).toThrow(/IGLU_DB_PASSWORD is not set/);
  });

  it('renders the emulator config with the same schema and loopback endpoints', () => {
    const cfg = renderPipelineConfig('emulator', {});
    expect(cfg.aws).toEqual({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566', credentials: { accessKeyId: 'furrow', secretAccessKey: 'furrow' } });
    expect(cfg.streams).toEqual({ raw: 'raw', enriched: 'enriched', bad1: 'bad-1', bad2: 'bad-2' });
    expect(cfg.names).toEqual({ bucket: 'furrow', queue: 'furrow-loader.fifo' });
    expect(cfg.collector).toMatchObject({ interface: '127.0.0.1', port: 9090 });
    expect(JSON.stringify(cfg)).toContain(EMULATOR_ENDPOINTS.igluApi);
    expect((cfg.loader as { target: { accessUrl: string } }).target.accessUrl).toBe('http://127.0.0.1:8085');
    expect((cfg.igluServer as { port: number }).port).toBe(8180);
    expect(validateRendered(cfg)).toEqual([...RENDER_APPS]);
    // Same sections, same keys at the top: only endpoints and names differ.
    expect(Object.keys(cfg).sort()).toEqual(Object.keys(renderPipelineConfig('aws', fixtureOutputs())).sort());
  });

  it('renders each app alone from the values its EC2 module writes to deployment.json', () => {
    const moduleOf: Record<RenderApp, [string, string]> = {
      collector: ['collector-ec2', 'collector'],
      enrich: ['enrich-ec2', 'enrich'],
      'iglu-server': ['iglu-server-ec2', 'iglu_server'],
      's3-loader-raw': ['s3-loader-ec2', 's3_loader_raw'],
      's3-loader-enriched': ['s3-loader-ec2', 's3_loader_enriched'],
      's3-loader-bad': ['s3-loader-ec2', 's3_loader_bad'],
      transformer: ['transformer-ec2', 'transformer'],
      loader: ['snowflake-loader-ec2', 'snowflake_loader'],
    };
    const full = fixtureOutputs();
    for (const app of RENDER_APPS) {
      const [dir, call] = moduleOf[app];
      const mod = all.get(`modules/${dir}`)!;
      const deployment = mod.locals.get('deployment') as Record<string, unknown>;
      const keys = Object.keys(deployment).filter((k) => k !== 'config_overrides');
      for (const k of keys) expect(k in OUTPUT_KEYS, `${dir} writes unknown key ${k}`).toBe(true);
      // The s3 loader writes the key of its own stream and lease table only (the others are null).
      const purpose = String(quickstart.modules.get(call)!.purpose ?? '');
      const own = keys.filter((k) => {
        const v = deployment[k];
        return !(typeof v === 'string' && /var\.purpose == "(\w+)"/.test(v) && !v.includes(`"${purpose}"`));
      });
      // Module settings (`local.app_settings`) evaluated with the module's variable defaults.
      const settings = JSON.parse(JSON.stringify(mod.locals.get('app_settings')), (_k, v: unknown) => {
        const m = typeof v === 'string' ? /^\$\{var\.([a-z_]+)\}$/.exec(v) : null;
        return m ? mod.variables.get(m[1]!)?.default : v;
      }) as Record<string, unknown>;
      const outputs: Outputs = { ...Object.fromEntries(own.map((k) => [k, full[k as keyof Outputs] ?? 8000])), config_overrides: { [app]: [settings] } };
      const cfg = renderPipelineConfig('aws', outputs, { app });
      const [top] = sectionPath(app);
      expect(Object.keys(cfg).sort(), app).toEqual(['aws', 'names', 'streams', top].sort());
      expect(validateRendered(cfg), app).toEqual([app]);
    }
  });

  it('refuses what would be wrong on AWS: a missing output, a sensitive output, an unknown app override', () => {
    const outputs = fixtureOutputs();
    delete outputs.enrich_lease_table;
    expect(() => renderPipelineConfig('aws', outputs)).toThrow(/'enrich_lease_table' .* is required to render the pipeline for aws/);
    expect(() => renderPipelineConfig('aws', outputs, { app: 'collector' })).not.toThrow();
    expect(() => readOutputs({ x: { value: 'p', type: 'string', sensitive: true } })).toThrow(/'x' is sensitive/);
    expect(() => renderPipelineConfig('aws', { ...fixtureOutputs(), config_overrides: { colector: {} } })).toThrow(/unknown app 'colector'/);
    expect(() => renderPipelineConfig('aws', { ...fixtureOutputs(), collector_port: 'eighty' })).toThrow(/collector_port' must be a non-negative integer/);
  });

  it('applies module settings then user overrides, and leaves out a switched-off raw loader', () => {
    const cfg = renderPipelineConfig('aws', {
      ...fixtureOutputs(),
      s3_loader_raw_lease_table: '',
      config_overrides: { collector: [{ cookie: { domains: ['acme.com'] }, logLevel: 'warn' }, { logLevel: 'debug' }] },
    });
    expect((cfg.s3Loader as Record<string, unknown>).raw).toBeUndefined();
    expect(cfg.collector).toMatchObject({ interface: '0.0.0.0', cookie: { domains: ['acme.com'] }, logLevel: 'debug' });
    expect(validateRendered(cfg)).not.toContain('s3-loader-raw');
    // An override the app's schema rejects fails validation, naming the field.
    expect(() => validateRendered(renderPipelineConfig('aws', { ...fixtureOutputs(), config_overrides: { collector: { port: 'x' } } }))).toThrow(/collector\.port/);
  });

  it('works end to end through `furrow config render`, writing per-app files', () => {
    const out = mkdtempSync(join(tmpdir(), 'furrow-render-'));
    const bin = join(ROOT, '..', 'bin', 'furrow.mjs');
    const fixturePath = join(QUICKSTART, 'terraform-outputs.example.json');
    execFileSync(process.execPath, [bin, 'config', 'render', '--target', 'aws', '--outputs', fixturePath, '--app', 'transformer', '--out', out], { stdio: 'pipe' });
    const written = JSON.parse(readFileSync(join(out, 'transformer.json'), 'utf8')) as Record<string, any>;
    expect(written.transformer).toMatchObject({ input: { applicationName: 'furrow-transformer' }, output: { path: 's3://furrow-pipeline-123456789012-us-east-1/transformed/' }, windowSeconds: 300 });
    expect(Object.keys(written).sort()).toEqual(['aws', 'names', 'streams', 'transformer']);
  }, 60_000);
});

describe('fixtures parse', () => {
  it('hcl2json reads the tfvars example (same HCL syntax)', async () => {
    const tfvars = (await parse('terraform.tfvars', readFileSync(join(QUICKSTART, 'terraform.tfvars.example'), 'utf8'))) as Record<string, unknown>;
    for (const k of Object.keys(tfvars)) expect(quickstart.variables.has(k), k).toBe(true);
    // Every required quick start variable (no default) is in the example, except the password (env only).
    for (const [k, v] of quickstart.variables) if (!('default' in v) && k !== 'snowflake_loader_password') expect(tfvars, k).toHaveProperty(k);
    expect(tfvars).not.toHaveProperty('snowflake_loader_password');
  });
});
