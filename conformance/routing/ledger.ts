/**
 * Judging a case: given what the pipeline produced (rows per event_id, every bad row seen), is every
 * event of the case in exactly one destination of the expected kind, and is every input's own bad row
 * there exactly as often as the model says? Pure, so the in-process property and the pipeline property
 * share it.
 */
import type { SeenBadRow } from '../harness';
import { MARKER_RE, type EventExpect, type InputExpect, type MaterialCase, type MaterialInput, describeInput } from './traffic';

export interface Observation {
  /** event_id → rows in atomic.events, for the case's app_id. */
  warehouse: Map<string, number>;
  /** Every bad row seen so far (any case). */
  badRows: readonly SeenBadRow[];
  /** HTTP status per input (null for records put on a stream, undefined if not sent). */
  statuses: readonly (number | null | undefined)[];
  /** bad-1 rows must also be archived under s3://…/bad/ (false for the in-process property). */
  requireArchive: boolean;
}

export interface Verdict {
  /** Every expected destination has been reached at least once. */
  complete: boolean;
  /** Everything wrong so far (extra or wrong destinations are final; missing ones only once the wait is over). */
  violations: string[];
  /** What is still missing, for a timeout message. */
  missing: string[];
}

const fmtExpect = (e: EventExpect | InputExpect['bad']): string =>
  e === null ? 'no bad row' : 'to' in e ? (e.to === 'bad' ? `${e.type} on ${e.place}` : e.to === 'nowhere' ? `nowhere (${e.why})` : e.to) : `${e.count}× ${e.type} on ${e.place}`;
const fmtRow = (r: SeenBadRow) => `${r.type} on ${r.place}`;
/** A row that should not be there: its type, place and failure, so the message says why it was made. */
const fmtUnexpected = (r: SeenBadRow) => {
  let failure: string;
  try {
    failure = JSON.stringify((JSON.parse(r.json) as { data?: { failure?: unknown } }).data?.failure ?? null).slice(0, 400);
  } catch {
    failure = r.json.slice(0, 200);
  }
  return `${fmtRow(r)} from ${r.from} (failure: ${failure})`;
};

/** The case inputs' markers found in a bad row. */
function markersIn(r: SeenBadRow, markers: Map<string, number>): number[] {
  const out = new Set<number>();
  for (const m of r.text.matchAll(MARKER_RE)) {
    const i = markers.get(m[1]!);
    if (i !== undefined) out.add(i);
  }
  return [...out];
}

export function judge(c: MaterialCase, o: Observation, injected: ReadonlySet<string> = new Set()): Verdict {
  const violations: string[] = [];
  const missing: string[] = [];
  const byEid = new Map<string, { input: number; expect: EventExpect }>();
  const markers = new Map<string, number>();
  c.inputs.forEach((inp, i) => {
    markers.set(inp.marker, i);
    for (const e of inp.events) byEid.set(e.eid, { input: i, expect: e.expect });
  });
  const eventRows = new Map<string, SeenBadRow[]>();
  const eventCopies = new Map<string, SeenBadRow[]>();
  const inputRows = new Map<number, SeenBadRow[]>();
  const inputCopies = new Map<number, SeenBadRow[]>();
  const push = <K>(m: Map<K, SeenBadRow[]>, k: K, r: SeenBadRow) => m.set(k, [...(m.get(k) ?? []), r]);
  for (const r of o.badRows) {
    // A record this case put on bad-1 itself is an input, not an outcome.
    if (r.place === 'bad-1' && injected.has(r.json)) continue;
    const archived = r.place === 's3:bad';
    if (r.eventId && byEid.has(r.eventId)) {
      push(archived ? eventCopies : eventRows, r.eventId, r);
      continue;
    }
    const ms = markersIn(r, markers);
    if (ms.length > 1) violations.push(`a ${fmtRow(r)} names ${ms.length} inputs of the case: ${r.json.slice(0, 200)}`);
    if (ms.length >= 1) push(archived ? inputCopies : inputRows, ms[0]!, r);
  }

  // Rows in atomic.events that no event of the case should have produced.
  for (const [eid, n] of o.warehouse) {
    const e = byEid.get(eid);
    if (!e) violations.push(`atomic.events has ${n} row(s) with app_id ${c.appId} and event_id ${eid}, which the case never sent as a loadable event`);
  }

  const where = (i: number) => `input #${i} (${describeInput(c.inputs[i]!)})`;
  c.inputs.forEach((inp: MaterialInput, i) => {
    for (const ev of inp.events) {
      const wh = o.warehouse.get(ev.eid) ?? 0;
      const rows = eventRows.get(ev.eid) ?? [];
      const copies = eventCopies.get(ev.eid) ?? [];
      const what = `event ${ev.eid} (${ev.shape.type}/${ev.shape.fault}) of ${where(i)}, expected ${fmtExpect(ev.expect)}`;
      const x = ev.expect;
      if (x.to === 'warehouse') {
        if (wh === 0) missing.push(`${what}: no row yet`);
        if (wh > 1) violations.push(`${what}: ${wh} rows in atomic.events (duplicate)`);
        if (rows.length) violations.push(`${what}: also ${rows.map(fmtUnexpected).join(', ')}`);
      } else if (x.to === 'bad') {
        const right = rows.filter((r) => r.type === x.type && r.place === x.place);
        const wrong = rows.filter((r) => !(r.type === x.type && r.place === x.place));
        if (wh > 0) violations.push(`${what}: ${wh} row(s) in atomic.events${right.length ? ' as well as its bad row' : ''}`);
        if (wrong.length) violations.push(`${what}: got ${wrong.map(fmtUnexpected).join(', ')}`);
        if (right.length > 1) violations.push(`${what}: ${right.length} bad rows (duplicate)`);
        if (right.length === 0 && wrong.length === 0 && wh === 0) missing.push(`${what}: nothing yet`);
        if (x.place === 'bad-1' && o.requireArchive) {
          if (right.length && copies.length === 0) missing.push(`${what}: its bad row is not archived under s3 bad/ yet`);
          if (copies.length > right.length) violations.push(`${what}: archived ${copies.length} times under s3 bad/`);
        }
      } else {
        if (wh > 0) violations.push(`${what}: ${wh} row(s) in atomic.events`);
        if (rows.length) violations.push(`${what}: got ${rows.map(fmtUnexpected).join(', ')}`);
      }
    }
    const rows = inputRows.get(i) ?? [];
    const copies = inputCopies.get(i) ?? [];
    const x = inp.expect.bad;
    const what = `${where(i)}, expected ${fmtExpect(x)}`;
    if (x === null) {
      if (rows.length) violations.push(`${what}: got ${rows.map(fmtUnexpected).join(', ')}`);
    } else {
      const right = rows.filter((r) => r.type === x.type && r.place === x.place);
      const wrong = rows.filter((r) => !(r.type === x.type && r.place === x.place));
      if (wrong.length) violations.push(`${what}: got ${wrong.map(fmtUnexpected).join(', ')}`);
      if (right.length > x.count) violations.push(`${what}: got ${right.length}`);
      if (right.length < x.count) missing.push(`${what}: ${right.length} so far`);
      if (x.place === 'bad-1' && o.requireArchive) {
        if (copies.length < Math.min(right.length, x.count)) missing.push(`${what}: ${copies.length} archived under s3 bad/ so far`);
        if (copies.length > x.count) violations.push(`${what}: archived ${copies.length} times under s3 bad/`);
      }
    }
    const status = o.statuses[i];
    if (inp.expect.status !== undefined && status !== undefined && status !== inp.expect.status)
      violations.push(`${where(i)}: HTTP ${status}, expected ${inp.expect.status}`);
  });
  return { complete: missing.length === 0, violations, missing };
}

/** Events and inputs of a case by expected outcome, for the report. */
export function caseCounts(c: MaterialCase): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  for (const inp of c.inputs) {
    add('inputs');
    add(inp.kind === 'http' ? `inputs: ${inp.shape.transport}` : `inputs: ${inp.shape.kind}`);
    if (inp.expect.bad) add(`expected input-level ${inp.expect.bad.type} (${inp.expect.bad.place})`, inp.expect.bad.count);
    for (const e of inp.events) {
      add('events');
      const x = e.expect;
      add(x.to === 'warehouse' ? 'events → atomic.events' : x.to === 'bad' ? `events → ${x.type} (${x.place})` : x.to === 'input' ? "events → their request's bad row" : `events → nowhere (${x.why})`);
    }
  }
  return counts;
}
