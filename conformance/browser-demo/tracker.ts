/// <reference lib="dom" />
/**
 * The demo page's tracking, as a site would write it with `@snowplow/browser-tracker` (bundled by esbuild in
 * conformance/browser-tracker.test.ts): a page view on load, a link_click for each click on a link, and a
 * self-describing event from a button. The collector comes from `?collector=` so the page works with any port.
 *
 * Link clicks come from Snowplow's own link click tracking plugin, as on a real site.
 */
import { newTracker, trackPageView, trackSelfDescribingEvent } from '@snowplow/browser-tracker';
import { LinkClickTrackingPlugin, enableLinkClickTracking } from '@snowplow/browser-plugin-link-click-tracking';

const collector = new URLSearchParams(location.search).get('collector') ?? 'http://127.0.0.1:9090';
newTracker('demo', collector, {
  appId: 'furrow-demo',
  plugins: [LinkClickTrackingPlugin()],
  eventMethod: 'post',
  bufferSize: 1,
  contexts: { webPage: true },
});
trackPageView();
enableLinkClickTracking({ pseudoClicks: false, trackContent: true });

document.getElementById('buy')!.addEventListener('click', () => {
  trackSelfDescribingEvent({ event: { schema: 'iglu:com.acme.demo/checkout/jsonschema/1-0-0', data: { total: 42.5, currency: 'EUR' } } });
  document.getElementById('status')!.textContent = 'checkout sent';
});
(window as unknown as { demoReady: boolean }).demoReady = true;
