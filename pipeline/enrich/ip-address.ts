/**
 * The client IP as Enrich re-derives it from the recorded headers (EN `IpAddressExtractor`): headers are
 * lower-cased and scanned in order; the first `x-forwarded-for: <ip>` wins at once; a `forwarded: for=<ip>`
 * is remembered, but (a quirk kept on purpose) any later header that matches neither forgets it; otherwise
 * the collector's `ipAddress`. The first IPv4, or a run of IPv6-ish characters, is taken; an optional `"`
 * and `[` before it are skipped.
 */
const IP = String.raw`"?\[?(?:(?:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}).*)|((?:[0-9a-f]|\.|:+)+).*)\]?"?`;
const X_FORWARDED_FOR = new RegExp(String.raw`^x-forwarded-for: ${IP}.*$`);
const FORWARDED_FOR = new RegExp(String.raw`^forwarded: for=${IP}.*$`);

export function extractIpAddress(headers: readonly string[], fallback: string | null): string | null {
  let forwardedFor: string | null = null;
  for (const h of headers) {
    // Cheap prefilter: only x-forwarded-for / forwarded headers can match.
    const c = h.charCodeAt(0) | 0x20;
    if (c !== 0x78 /* x */ && c !== 0x66 /* f */) {
      forwardedFor = null;
      continue;
    }
    const lower = h.toLowerCase();
    const x = X_FORWARDED_FOR.exec(lower);
    if (x) return x[1] ?? x[2] ?? null;
    const f = FORWARDED_FOR.exec(lower);
    forwardedFor = f ? (f[1] ?? f[2] ?? null) : null;
  }
  return forwardedFor ?? fallback;
}
