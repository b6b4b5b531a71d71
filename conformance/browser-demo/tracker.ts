/// <reference lib="dom" />
/**
 * The demo page's tracking, as a site would write it with `@snowplow/browser-tracker` (bundled by esbuild in
 * conformance/browser-tracker.test.ts): a page view on load, a link_click for each click on a link, and a
 * self-describing event from a button. The collector comes from `?collector=` so the page works with any port.
 *
 * Link clicks: `@snowplow/browser-plugin-link-click-tracking` is not among the dependencies, so a small
 * plugin here does what it does — it receives the tracker through `activateBrowserPlugin`, listens for clicks
 * on links and tracks `buildLinkClick(...)` (tracker-core's link_click 1-0-1 event) through the tracker's core.
 */
import { newTracker, trackPageView, trackSelfDescribingEvent, type BrowserPlugin, type BrowserTracker } from '@snowplow/browser-tracker';
import { buildLinkClick } from '@snowplow/tracker-core';

function linkClickTracking(): BrowserPlugin {
  const trackers: BrowserTracker[] = [];
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest('a');
    if (!a) return;
    const event = buildLinkClick({
      targetUrl: a.href,
      elementId: a.id || undefined,
      elementClasses: a.className ? a.className.split(/\s+/) : undefined,
      elementTarget: a.target || undefined,
      elementContent: a.textContent?.trim() || undefined,
    });
    for (const t of trackers) t.core.track(event);
  });
  return { activateBrowserPlugin: (t) => void trackers.push(t) };
}

const collector = new URLSearchParams(location.search).get('collector') ?? 'http://127.0.0.1:9090';
newTracker('demo', collector, {
  appId: 'furrow-demo',
  plugins: [linkClickTracking()],
  eventMethod: 'post',
  bufferSize: 1,
  contexts: { webPage: true },
});
trackPageView();

document.getElementById('buy')!.addEventListener('click', () => {
  trackSelfDescribingEvent({ event: { schema: 'iglu:com.acme.demo/checkout/jsonschema/1-0-0', data: { total: 42.5, currency: 'EUR' } } });
  document.getElementById('status')!.textContent = 'checkout sent';
});
(window as unknown as { demoReady: boolean }).demoReady = true;
