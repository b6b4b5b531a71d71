import { describe, expect, it } from 'vitest';
import { testIgluClient } from '../testing';
import { buildEnrichments, inlineSources } from './index';
import { derived, enrichOne, settingsWith } from './testing';

const jsConfig = (script: string, config?: Record<string, unknown>) => ({
  schema: 'iglu:com.snowplowanalytics.snowplow/javascript_script_config/jsonschema/1-0-1',
  data: {
    vendor: 'com.snowplowanalytics.snowplow',
    name: 'javascript_script_config',
    enabled: true,
    parameters: { script: Buffer.from(script).toString('base64'), ...(config ? { config } : {}) },
  },
});
const PV = { e: 'pv', tv: 't', p: 'web', aid: 'shop', url: 'https://shop.example.com/' };

async function failureOf(script: string): Promise<string> {
  const s = await settingsWith([jsConfig(script)]);
  const { bad } = await enrichOne(s, PV);
  expect(bad?.schema).toContain('enrichment_failures');
  const m = bad!.data.failure.messages[0];
  expect(m.enrichment.identifier).toBe('javascript-script');
  return m.message.error as string;
}

describe('javascript_script_config', () => {
  it('reads and sets fields, gets params, returns derived contexts', async () => {
    const s = await settingsWith([
      jsConfig(
        `function process(event, params) {
           event.setApp_id(event.getApp_id() + '-' + params.suffix);
           return [{ schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: event.getPage_urlhost() } }];
         }`,
        { suffix: 'js' },
      ),
    ]);
    const { good, bad } = await enrichOne(s, PV);
    expect(bad).toBeUndefined();
    expect(good!.app_id).toBe('shop-js');
    expect(derived(good!)).toEqual([{ schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'shop.example.com' } }]);
  });

  it('drop() drops the event; a throw or a bad return is an enrichment failure', async () => {
    const s = await settingsWith([jsConfig('function process(event) { if (event.getApp_id() === "shop") event.drop(); return null; }')]);
    const { enrichPayload } = await import('../pipeline');
    const { getRecord } = await import('../testing');
    const out = await enrichPayload(getRecord(PV), s);
    expect([out.good.length, out.bad.length, out.dropped]).toEqual([0, 0, 1]);
    expect(await failureOf('function process() { throw new Error("boom"); }')).toMatch(/boom/);
    expect(await failureOf('function process() { return 42; }')).toMatch(/must return an array/);
    expect(await failureOf('function process() { return [{ nope: 1 }]; }')).toMatch(/not a self-describing JSON/);
  });

  it('is sandboxed: no require, process, fetch, filesystem or host Function; stopped at its time limit', async () => {
    expect(await failureOf('function process() { return require("fs").readdirSync("/"); }')).toMatch(/require is not defined/);
    // The only `process` in the sandbox is the script's own function; no Buffer, setTimeout or module either.
    const probe = await settingsWith([
      jsConfig(`function process() {
        if (typeof globalThis.process.env !== 'undefined' || typeof Buffer !== 'undefined' || typeof setTimeout !== 'undefined' || typeof module !== 'undefined') throw new Error('escaped');
        return null;
      }`),
    ]);
    expect((await enrichOne(probe, PV)).good).toBeDefined();
    expect(await failureOf('function process() { return fetch("http://127.0.0.1/"); }')).toMatch(/fetch is not defined/);
    // Climbing to a Function constructor only reaches the sandbox's own one, with code generation off.
    expect(await failureOf('function process(event) { return event.getApp_id.constructor("return process")(); }')).toMatch(/Code generation from strings disallowed/);
    // Replacing JSON.stringify cannot smuggle an object (and its toString) out of the sandbox.
    expect(await failureOf('JSON.stringify = function () { return { toString: function () { for (;;) {} } }; }; function process() { return null; }')).toMatch(/not JSON/);
    const t0 = Date.now();
    expect(await failureOf('function process() { for (;;) {} }')).toMatch(/timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('the time limit is on the script, not on the machine: a call stalled without using its time runs again', async () => {
    const { javascriptEnrichment, withCpuTimeLimit } = await import('./javascript');
    const { EnrichedEvent } = await import('../../core/enriched-event');
    // The first call overruns the limit (as a trivial script does when the process is descheduled or
    // paused for GC); the CPU clock says no time was used, so it runs again and the event stays good.
    const script = 'var calls = 0; function process(event) { if (calls++ === 0) { var t = Date.now(); while (Date.now() - t < 400) {} } event.setApp_id("ran-" + calls); return null; }';
    const { schema, data } = jsConfig(script);
    const idle = () => ({ user: 0, system: 0 });
    const e = javascriptEnrichment({ source: 'test', schema, data, ...data }, { cpuUsage: idle });
    const event = new EnrichedEvent();
    expect(await e.enrich({ event } as Parameters<typeof e.enrich>[0])).toBeUndefined();
    // Ran again (more than once if this machine is busy enough to stall the retry too), then succeeded.
    expect(event.app_id).toMatch(/^ran-([2-9]|\d\d+)$/);
    // A runaway script still fails: once its CPU use reaches the limit, or at the wall-clock cap.
    let n = 0;
    const timeout = () => {
      n++;
      throw Object.assign(new Error('Script execution timed out.'), { code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' });
    };
    let cpu = 0;
    expect(() => withCpuTimeLimit(timeout, 200, () => ({ user: (cpu += 150_000), system: 0 }))).toThrow(/timed out/);
    expect(n).toBe(2); // 150 ms of CPU per attempt: the limit is reached on the second
    const t0 = Date.now();
    expect(() => withCpuTimeLimit(() => { while (Date.now() - t0 < 50); timeout(); }, 20, idle)).toThrow(/timed out/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000); // idle CPU clock: the wall-clock cap (1 s) ends it
    expect(() => withCpuTimeLimit(() => { throw new Error('boom'); }, 200, idle)).toThrow('boom');
  });

  it('a script that does not load or has no process() fails at start-up', async () => {
    const build = (c: unknown) => buildEnrichments(inlineSources([c]), testIgluClient());
    await expect(build(jsConfig('function ('))).rejects.toThrow(/parameters\.script: does not load/);
    await expect(build(jsConfig('var x = 1;'))).rejects.toThrow(/must define a function process/);
  });
});
