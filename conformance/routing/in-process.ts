/**
 * The routing decisions of the pipeline's stages, run in-process on a materialised case: the collector's
 * request → CollectorPayload and size tiers (`buildPayload`, `splitAndSerialize`), enrich
 * (`enrichPayload`, with the suite's JavaScript enrichment) and the transformer (`transformLine`). No
 * streams, processes or warehouse: the quick property that every input gets exactly the model's
 * outcome, run many times before the cross-pipeline one.
 */
import { randomUUID } from 'node:crypto';
import { serializeBadRow } from '../../pipeline/core/bad-rows';
import { buildPayload, normaliseContentType, scanHeaders } from '../../pipeline/collector/payload';
import { splitAndSerialize } from '../../pipeline/collector/split';
import { buildEnrichments, inlineSources } from '../../pipeline/enrich/enrichments/index';
import { enrichPayload, type EnrichSettings } from '../../pipeline/enrich/pipeline';
import { testIgluClient, testSettings } from '../../pipeline/enrich/testing';
import { transformLine } from '../../pipeline/transformer/wide-row';
import { decodeBadRow, type SeenBadRow } from '../harness';
import { ROUTING_ENRICHMENTS, ROUTING_SCHEMAS } from './config';
import type { Observation } from './ledger';
import type { MaterialCase } from './traffic';

/** The collector's defaults (networking.dropPayloadSize, maxPayloadSize; the Kinesis sink's maxBytes). */
const DROP_PAYLOAD_SIZE = 2_097_152;
const LIMITS = { maxBytes: 1_000_000, maxPayloadSize: 1_048_576 };
const PROCESSOR = { artifact: 'furrow-conformance', version: '0.1.0' };

export async function inProcessSettings(): Promise<EnrichSettings> {
  const own = ROUTING_SCHEMAS.filter((s) => ['routing_blob', 'routing_pad'].includes((s.self as { name: string }).name));
  const client = testIgluClient(own);
  const built = await buildEnrichments(inlineSources(ROUTING_ENRICHMENTS), client);
  return testSettings({ client, enrichments: built.enrichments, uuid: () => randomUUID(), now: Date.now });
}

/** Run a case through the stages' pure code and report what each place would hold. */
export async function runInProcess(c: MaterialCase, s: EnrichSettings): Promise<Observation> {
  const warehouse = new Map<string, number>();
  const badRows: SeenBadRow[] = [];
  const statuses: (number | null)[] = [];
  const enrich = async (record: Uint8Array) => {
    const out = await enrichPayload(record, s);
    for (const b of out.bad) badRows.push(decodeBadRow(serializeBadRow(b), 'bad-1', 'enrich'));
    for (const g of out.good) transform(g.tsv);
  };
  const transform = (line: string) => {
    const t = transformLine(line, PROCESSOR);
    if (t.kind === 'bad') badRows.push(decodeBadRow(t.line, 's3:transformed-bad', 'transformer'));
    else {
      const row = JSON.parse(t.line) as { event_id: string; app_id: string | null };
      if (row.app_id === c.appId) warehouse.set(row.event_id, (warehouse.get(row.event_id) ?? 0) + 1);
    }
  };
  for (const inp of c.inputs) {
    if (inp.kind === 'record') {
      statuses.push(null);
      if (inp.stream === 'raw') await enrich(inp.data);
      else if (inp.stream === 'enriched') transform(inp.data.toString('utf8'));
      else throw new Error('records on bad-1 need the s3-loader: not part of the in-process property');
      continue;
    }
    const { method, path, body, headers } = inp.request;
    if (body !== undefined && Buffer.byteLength(body) > DROP_PAYLOAD_SIZE) {
      statuses.push(413);
      continue;
    }
    statuses.push(200);
    const rawHeaders = ['Host', 'collector.example.com', ...Object.entries(headers).flat()];
    const q = path.indexOf('?');
    const contentType = method === 'POST' ? normaliseContentType(headers['content-type']) : undefined;
    const payload = buildPayload({
      now: Date.now(),
      collector: 'ssc-3.4.0-kinesissink',
      ipAddress: '203.0.113.9',
      path: q < 0 ? path : path.slice(0, q),
      querystring: q < 0 ? '' : path.slice(q + 1),
      body: method === 'POST' ? (body ?? '') : undefined,
      rawHeaders,
      seen: scanHeaders(rawHeaders),
      contentType,
      hostname: 'collector.example.com',
      networkUserId: randomUUID(),
    });
    const records = splitAndSerialize(payload, { ...LIMITS, processor: PROCESSOR });
    for (const b of records.bad) badRows.push(decodeBadRow(b.toString('utf8'), 'bad-1', 'collector'));
    for (const g of records.good) await enrich(g);
  }
  return { warehouse, badRows, statuses, requireArchive: false };
}
