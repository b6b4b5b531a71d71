/**
 * Event fingerprint (spec §5 #8 "fingerprint recipe"; EN `registry/EventFingerprintEnrichment`): the raw
 * parameters that have a value, sorted by name, excluded names removed, each as `name \u001f value \u001f`,
 * hashed with the configured algorithm into lower-case hex → `event_fingerprint`.
 */
import { createHash } from 'node:crypto';
import { FIELD_INDEX } from '../../core/enriched-event';
import type { RawParameters } from '../raw-event';
import { enrichmentInfo, type EnrichmentConfig } from './common';
import type { Enrichment } from './registry';

export const FINGERPRINT_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

export function fingerprintInput(params: RawParameters, exclude: ReadonlySet<string>): string {
  const keys: string[] = [];
  for (const [k, v] of params) if (v !== null && !exclude.has(k)) keys.push(k);
  keys.sort();
  let s = '';
  for (const k of keys) s += k + '\u001f' + params.get(k)! + '\u001f';
  return s;
}

export function eventFingerprint(c: EnrichmentConfig): Enrichment {
  const algorithm = FINGERPRINT_ALGORITHMS[String(c.parameters.hashAlgorithm)];
  if (!algorithm) throw new Error(`unsupported hashAlgorithm ${String(c.parameters.hashAlgorithm)}`);
  const exclude = new Set((c.parameters.excludeParameters as string[] | undefined) ?? []);
  return {
    name: 'event_fingerprint_config',
    info: enrichmentInfo(c),
    enrich(ctx) {
      const input = fingerprintInput(ctx.raw.parameters, exclude);
      ctx.event.values[FIELD_INDEX.event_fingerprint] = createHash(algorithm).update(input, 'utf8').digest('hex');
    },
  };
}
