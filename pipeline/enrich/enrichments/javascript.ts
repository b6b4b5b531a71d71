/**
 * JavaScript enrichment (spec §5 #16; EN `registry/JavascriptScriptEnrichment`): the config's base64
 * `script` defines `process(event, params)`; it may read/write the event through bean-style accessors
 * (`event.getApp_id()`, `event.setApp_id(v)`), call `event.drop()`, and return an array of
 * self-describing JSONs that become derived contexts. A throw, a bad return value or the time limit
 * becomes an enrichment failure.
 *
 * Sandbox: `node:vm` with a fresh context (no require, process, fetch, timers or filesystem), a time
 * limit per call (vm `timeout`, made a limit on CPU time by `withCpuTimeLimit`), string code generation disabled, and no host object ever passed in:
 * field values cross as primitives and the result crosses as a JSON string, so host `Function`
 * constructors are unreachable from the script. (vm is not a hard security boundary against a
 * determined attacker with CPU/memory exhaustion; run trusted scripts.)
 */
import vm from 'node:vm';
import { enrichmentFailure } from '../../core/bad-rows-enrich';
import { ENRICHED_FIELDS } from '../../core/enriched-event';
import { trySchemaKey } from '../../core/schema-key';
import { derivedEntity, type ValidSdj } from '../sdj';
import { enrichmentInfo, EnrichmentConfigError, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';

export const DEFAULT_JS_TIMEOUT_MS = 200;

/** Runs inside the sandbox: builds the event facade over a context-owned array. */
const PRELUDE = `
(function (fieldsJson) {
  'use strict';
  const fields = JSON.parse(fieldsJson);
  const state = { values: [], dropped: false };
  const event = {};
  fields.forEach(function (f, i) {
    const bean = f.charAt(0).toUpperCase() + f.slice(1);
    event['get' + bean] = function () { return state.values[i]; };
    event['set' + bean] = function (v) { state.values[i] = v === null || v === undefined ? null : String(v); };
  });
  event.drop = function () { state.dropped = true; };
  Object.freeze(event);
  globalThis.__furrow = function (values, paramsJson) {
    state.values = values.slice();
    state.dropped = false;
    const out = process(event, JSON.parse(paramsJson));
    return JSON.stringify({ values: state.values, dropped: state.dropped, out: out === undefined ? null : out });
  };
})
`;

export interface JavascriptOptions {
  timeoutMs?: number;
  /** CPU time used by the process so far (tests replace it); default `process.cpuUsage`. */
  cpuUsage?: () => { user: number; system: number };
}

/**
 * Run `once` (a vm call with a `timeout`) so that the limit bounds the script's work, not the machine's
 * load. vm's timeout is wall-clock: on a loaded machine (or during a long GC pause) a trivial script can
 * overrun it without having done anything, and the event would become an enrichment failure by chance.
 * So a call that timed out is run again (the script sees the same event each time) until the attempts
 * together have used `timeout` ms of CPU, or the wall clock reaches `max(1 s, 10 × timeout)`: a runaway
 * script still fails, a slow machine no longer makes good events bad.
 */
export function withCpuTimeLimit<T>(once: () => T, timeout: number, cpuUsage: () => { user: number; system: number } = process.cpuUsage): T {
  const started = Date.now();
  let cpuMs = 0;
  for (;;) {
    const before = cpuUsage();
    try {
      return once();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
      const after = cpuUsage();
      cpuMs += (after.user - before.user + after.system - before.system) / 1000;
      if (cpuMs >= timeout || Date.now() - started >= Math.max(1_000, 10 * timeout)) throw err;
    }
  }
}

export function javascriptEnrichment(c: EnrichmentConfig, opts: JavascriptOptions = {}): Enrichment {
  const timeout = opts.timeoutMs ?? DEFAULT_JS_TIMEOUT_MS;
  const cpuUsage = opts.cpuUsage ?? (() => process.cpuUsage());
  const source = Buffer.from(String(c.parameters.script ?? ''), 'base64').toString('utf8');
  const params = JSON.stringify(c.parameters.config ?? {});
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  try {
    new vm.Script(source, { filename: 'enrichment.js' }).runInContext(context, { timeout });
    (new vm.Script(PRELUDE).runInContext(context) as (f: string) => void)(JSON.stringify(ENRICHED_FIELDS));
  } catch (err) {
    throw new EnrichmentConfigError(c.source, 'data.parameters.script', `does not load: ${(err as Error).message}`);
  }
  if (vm.runInContext('typeof process', context) !== 'function')
    throw new EnrichmentConfigError(c.source, 'data.parameters.script', 'must define a function process(event, params)');
  const call = new vm.Script('__furrow(__values, __params)');
  const fail = (error: string) => ({ failures: [enrichmentFailure({ error })] });
  return {
    name: 'javascript_script_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const values = ctx.event.values;
      // Primitives only cross into the sandbox: the array is created inside it.
      context.__values = vm.runInContext('[]', context) as unknown[];
      for (const v of values) (context.__values as unknown[]).push(v);
      context.__params = params;
      let text: string;
      try {
        text = withCpuTimeLimit(() => call.runInContext(context, { timeout }) as string, timeout, cpuUsage);
      } catch (err) {
        const msg = (err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' ? `timed out after ${timeout} ms` : String((err as Error)?.message ?? err);
        return fail(`Error during execution of JavaScript function: ${msg}`);
      } finally {
        delete context.__values;
      }
      // A script may replace JSON.stringify: accept only a primitive string (no sandbox object, whose
      // toString would run outside the time limit).
      if (typeof text !== 'string') return fail('JavaScript function returned a value that is not JSON');
      let r: { values: (string | null)[]; dropped: boolean; out: unknown };
      try {
        r = JSON.parse(text) as typeof r;
      } catch {
        return fail('JavaScript function returned a value that is not JSON');
      }
      for (let i = 0; i < values.length; i++) values[i] = r.values[i] ?? null;
      if (r.dropped) {
        ctx.dropped = true;
        return;
      }
      if (r.out === null) return;
      if (!Array.isArray(r.out)) return fail(`JavaScript function must return an array of self-describing JSONs, got ${typeof r.out}`);
      const contexts: ValidSdj[] = [];
      for (const item of r.out as Array<{ schema?: unknown; data?: unknown }>) {
        const key = item && typeof item.schema === 'string' ? trySchemaKey(item.schema) : undefined;
        if (!key || !('data' in item)) return fail(`JavaScript function returned an item that is not a self-describing JSON: ${JSON.stringify(item).slice(0, 200)}`);
        contexts.push(derivedEntity(key, item.schema as string, item.data));
      }
      return { contexts };
    },
  };
}
