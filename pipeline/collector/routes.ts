/**
 * Which handler a request goes to (spec §1.1). Pure: method + path + config → a route.
 * Order: CORS preflight on any path, the `/r/*` rejection when default redirects are off, the fixed
 * routes, then tracking (`/i`, `/ice.png`, any two-segment `/{vendor}/{version}` after `paths` mapping).
 */
import type { ResolvedCollectorConfig } from './config';
import { isMicroPath } from './micro-proxy';

export type Route =
  | { kind: 'micro' }
  | { kind: 'options' }
  | { kind: 'health' }
  | { kind: 'sink-health' }
  | { kind: 'metrics' }
  | { kind: 'robots' }
  | { kind: 'crossdomain' }
  | { kind: 'root' }
  | { kind: 'redirects-disabled' }
  | { kind: 'not-found' }
  | TrackRoute;

export interface TrackRoute {
  kind: 'track';
  /** The path recorded in the payload (after `paths` mapping). */
  path: string;
  /** GET/HEAD: answer with the pixel, record no body. */
  pixel: boolean;
  /** Redirect mode (`/r/...` after mapping). */
  redirect: boolean;
  /** Metrics label: `pixel`, `tp2`, `iglu`, `redirect`, `vendor`. */
  label: string;
}

const TWO_SEGMENTS = /^\/[^/]+\/[^/]+$/;

/** Route table, precomputed per config so the hot path is a few comparisons. */
export class Router {
  constructor(private readonly cfg: ResolvedCollectorConfig) {}

  route(method: string, path: string): Route {
    if (this.cfg.microUpstream !== undefined && isMicroPath(path)) return { kind: 'micro' };
    if (method === 'OPTIONS') return { kind: 'options' };
    if (!this.cfg.enableDefaultRedirect && path.startsWith('/r/')) return { kind: 'redirects-disabled' };
    const getLike = method === 'GET' || method === 'HEAD';
    if (getLike) {
      if (path === '/i' || path === '/ice.png') return { kind: 'track', path, pixel: true, redirect: false, label: 'pixel' };
      switch (path) {
        case '/health':
          return { kind: 'health' };
        case '/sink-health':
          return { kind: 'sink-health' };
        case '/metrics':
          return { kind: 'metrics' };
        case '/robots.txt':
          return { kind: 'robots' };
        case '/crossdomain.xml':
          return this.cfg.crossDomain.enabled ? { kind: 'crossdomain' } : { kind: 'not-found' };
        case '/':
          return this.cfg.rootResponse.enabled ? { kind: 'root' } : { kind: 'not-found' };
      }
    }
    if ((getLike || method === 'POST') && TWO_SEGMENTS.test(path)) {
      const mapped = this.cfg.paths[path] ?? path;
      const redirect = mapped.startsWith('/r/');
      const label = redirect
        ? 'redirect'
        : mapped === '/com.snowplowanalytics.snowplow/tp2'
          ? 'tp2'
          : mapped === '/com.snowplowanalytics.iglu/v1'
            ? 'iglu'
            : 'vendor';
      return { kind: 'track', path: mapped, pixel: getLike, redirect, label };
    }
    return { kind: 'not-found' };
  }
}
