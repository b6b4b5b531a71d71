/**
 * The web UI and the Micro API as a front-end developer meets them: a real page using
 * `@snowplow/browser-tracker` in headless Chromium (Debian's `chromium`, driven by playwright-core) sends a
 * page view, a link click and a self-describing event to `startEmulate()`'s collector; the test finds them in
 * `/micro/good`, in the live UI at `/micro/ui` (screenshot saved to test-artifacts/browser-tracker/) and as
 * rows in atomic.events (the Snowflake emulator, read back through snowflake-sdk).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmulate, type RunningEmulate } from '../emulator/emulate/index';
import { until } from './until';

const CHROMIUM = process.env.FURROW_CHROMIUM ?? '/usr/bin/chromium';
const DEMO = resolve(import.meta.dirname, 'browser-demo');
const ARTIFACTS = resolve(import.meta.dirname, '../test-artifacts/browser-tracker');
const CHECKOUT = 'iglu:com.acme.demo/checkout/jsonschema/1-0-0';
const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';

interface GoodEvent {
  eventType: string;
  schema: string | null;
  contexts: string[];
  /** The Analytics SDK's JSON: self-describing data under `unstruct_event_<vendor>_<name>_<model>`. */
  event: { event_id: string; app_id: string; page_url: string } & Record<string, unknown>;
}

/** The demo page and its tracker bundle (esbuild, now), from a server of its own: another origin, as a real site. */
async function serveDemo(): Promise<{ server: Server; url: string }> {
  const bundle = await build({ entryPoints: [join(DEMO, 'tracker.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', logLevel: 'silent' });
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', readFileSync(join(DEMO, 'index.html'), 'utf8')],
    '/tracker.js': ['text/javascript', bundle.outputFiles[0]!.text],
  };
  const server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://demo').pathname];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

describe('browser tracker in headless Chromium → Micro API, live UI and atomic.events', () => {
  let dir: string;
  let emulate: RunningEmulate;
  let demo: { server: Server; url: string };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does) or set FURROW_CHROMIUM`);
    dir = mkdtempSync(join(tmpdir(), 'furrow-browser-'));
    const schemas = join(dir, 'schemas', 'com.acme.demo', 'checkout', 'jsonschema');
    mkdirSync(schemas, { recursive: true });
    writeFileSync(
      join(schemas, '1-0-0'),
      JSON.stringify({
        $schema: 'http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#',
        self: { vendor: 'com.acme.demo', name: 'checkout', format: 'jsonschema', version: '1-0-0' },
        type: 'object',
        properties: { total: { type: 'number' }, currency: { type: 'string', maxLength: 3 } },
        required: ['total'],
        additionalProperties: false,
      }),
    );
    // Everything starts at once: the pipeline, the demo bundle and Chromium.
    const [e, d, b] = await Promise.all([
      startEmulate({ stateDir: join(dir, 'state'), schemasDir: join(dir, 'schemas'), ports: { collector: 0, aws: 0, iglu: 0, postgres: 0, snowflake: 0 } }),
      serveDemo(),
      chromium.launch({
        executablePath: CHROMIUM,
        // The machine may have no network: keep Chromium from calling home.
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
    [emulate, demo, browser] = [e, d, b];
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    demo?.server.close();
    await emulate?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends a page view, a link click and a self-describing event that reach /micro/good, the UI and atomic.events', async () => {
    const collector = emulate.urls.collector;
    const pageUrl = `${demo.url}?collector=${encodeURIComponent(collector)}`;
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as { demoReady?: boolean }).demoReady === true);
    await page.click('#docs-link');
    await page.click('#buy');
    await page.waitForSelector('#status:has-text("checkout sent")');

    // /micro/good: the three events, enriched, from the browser.
    const good = await until(
      async () => {
        const r = (await (await fetch(`${collector}/micro/good?wait=3&timeout=5000`)).json()) as GoodEvent[];
        return r.length >= 3 ? r : undefined;
      },
      60_000,
      'three good events in /micro/good',
    );
    expect(await (await fetch(`${collector}/micro/bad`)).json()).toEqual([]);
    expect(good).toHaveLength(3);
    const pageView = good.find((g) => g.eventType === 'page_view');
    const linkClick = good.find((g) => g.schema === LINK_CLICK);
    const checkout = good.find((g) => g.schema === CHECKOUT);
    expect(pageView, 'page view').toBeDefined();
    expect(linkClick, 'link click').toBeDefined();
    expect(checkout, 'checkout').toBeDefined();
    for (const g of good) {
      expect(g.event.app_id).toBe('furrow-demo');
      // The link goes to #docs on the same page: the events after the click carry the fragment.
      expect([pageUrl, `${pageUrl}#docs`]).toContain(g.event.page_url);
      expect(g.contexts).toContain('iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0');
    }
    expect(linkClick!.event.unstruct_event_com_snowplowanalytics_snowplow_link_click_1).toEqual({ targetUrl: `${pageUrl}#docs`, elementId: 'docs-link', elementClasses: ['nav', 'primary'], elementTarget: '', elementContent: 'Read the docs' });
    expect(checkout!.event.unstruct_event_com_acme_demo_checkout_1).toEqual({ total: 42.5, currency: 'EUR' });

    // The live UI lists them; the screenshot is kept as a test artifact.
    await page.goto(emulate.urls.ui);
    await page.waitForFunction(() => document.querySelectorAll('#good-list li').length >= 3, undefined, { timeout: 30_000 });
    const items = await page.$$eval('#good-list li', (lis) => lis.map((li) => li.textContent ?? ''));
    for (const g of good) expect(items.some((t) => t.includes(g.event.event_id))).toBe(true);
    expect(items.some((t) => t.includes('page_view'))).toBe(true);
    expect(items.some((t) => t.includes(LINK_CLICK))).toBe(true);
    expect(items.some((t) => t.includes(CHECKOUT))).toBe(true);
    expect(await page.textContent('#good')).toBe('3');
    // atomic.events has a row for each.
    for (const g of good) {
      const row = await until(async () => (await emulate.warehouse.row(g.event.event_id)) ?? undefined, 60_000, `the row of ${g.eventType} ${g.event.event_id}`);
      expect(String(row.APP_ID ?? row.app_id)).toBe('furrow-demo');
    }
    expect(await emulate.warehouse.count()).toBe(3);
    // Selecting the checkout shows its enriched JSON and its atomic.events row.
    await page.click(`#good-list li[data-id="${checkout!.event.event_id}"]`);
    await page.waitForSelector('#detail-title:has-text("loaded: true")', { timeout: 10_000 });
    expect(await page.textContent('#detail-body')).toContain('"warehouseRow": {');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'micro-ui.png'), fullPage: true });
  }, 150_000);
});
