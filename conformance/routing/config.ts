/**
 * The pipeline configuration the routing suite runs with: the example schemas, two of its own (a blob
 * context the JavaScript enrichment can attach, a padding context for oversized requests) and a
 * JavaScript enrichment that misbehaves on request, keyed on the event's `user_id` (`uid`).
 */
import { META_SCHEMA_URI } from '../../pipeline/core/schema-key';
import { EXAMPLE_SCHEMAS } from '../../pipeline/enrich/testing';

const schema = (name: string, body: Record<string, unknown>) => ({
  $schema: META_SCHEMA_URI,
  self: { vendor: 'com.acme', name, format: 'jsonschema', version: '1-0-0' },
  type: 'object',
  ...body,
});

/** Schemas published to the Iglu Server (com.acme only: the core schemas are embedded). */
export const ROUTING_SCHEMAS: Record<string, unknown>[] = [
  ...EXAMPLE_SCHEMAS.filter((s) => (s.self as { vendor: string }).vendor === 'com.acme'),
  // What the JavaScript enrichment attaches for `uid=js-big` (a derived context over 1 MB).
  schema('routing_blob', { properties: { blob: { type: 'string' } }, required: ['blob'], additionalProperties: false }),
  // Padding for the oversized-request inputs: a valid context whose `note` can be as long as needed.
  schema('routing_pad', { properties: { note: { type: 'string' } }, required: ['note'], additionalProperties: false }),
];

/** What the JavaScript enrichment does, by `uid`. */
export const JS_ACTIONS = ['js-throw', 'js-drop', 'js-big', 'js-tab', 'js-type'] as const;
export type JsAction = (typeof JS_ACTIONS)[number];

/** Size of the `js-big` blob: the enriched TSV then exceeds enrich's 1,000,000-byte record limit. */
export const JS_BLOB_BYTES = 1_100_000;

export const ROUTING_JS = `
function process(event) {
  var uid = event.getUser_id();
  if (uid === null || uid.indexOf('js-') !== 0) return null;
  // An enrichment failure (enrichment_failures bad row).
  if (uid === 'js-throw') throw new Error('furrow routing: enrichment failure on purpose');
  // Dropped on purpose: neither a row nor a bad row.
  if (uid === 'js-drop') { event.drop(); return null; }
  // A derived context so big the enriched event no longer fits a record (enrich size_violation).
  if (uid === 'js-big') return [{ schema: 'iglu:com.acme/routing_blob/jsonschema/1-0-0', data: { blob: 'x'.repeat(${JS_BLOB_BYTES}) } }];
  // Loader-side failures: enrich writes what the script set, and the transformer cannot parse the line
  // (a tab splits the TSV into 132 fields; txn_id must be an integer): loader_parsing_error bad rows.
  if (uid === 'js-tab') { event.setSe_label('left\\tright'); return null; }
  if (uid === 'js-type') { event.setTxn_id('n/a'); return null; }
  return null;
}
`;

export const ROUTING_ENRICHMENTS: Record<string, unknown>[] = [
  {
    schema: 'iglu:com.snowplowanalytics.snowplow/javascript_script_config/jsonschema/1-0-1',
    data: {
      vendor: 'com.snowplowanalytics.snowplow',
      name: 'javascript_script_config',
      enabled: true,
      parameters: { script: Buffer.from(ROUTING_JS).toString('base64') },
    },
  },
];
