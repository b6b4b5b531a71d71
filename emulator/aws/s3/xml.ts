import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsError } from '../errors';
import type { EdgeResponse } from '../types';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Escape text for an XML element. Besides the five specials, CR and other control characters become
 * character references: a literal CR would be normalised away by the client's parser, and keys may
 * contain any of them.
 */
export function xmlText(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  return value.replace(/[<>&'"\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case "'":
        return '&apos;';
      case '"':
        return '&quot;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** `<name>escaped value</name>`, or nothing when the value is absent. */
export function el(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${typeof value === 'string' ? xmlText(value) : String(value)}</${name}>`;
}

/** `<name>inner</name>` around already-built XML. */
export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** A 200 XML answer whose root element carries S3's namespace. */
export function xmlResponse(root: string, inner: string, headers: Record<string, string | number> = {}, status = 200): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`,
  };
}

/** ISO-8601 with milliseconds, the timestamp shape in S3's XML. */
export const isoTime = (ms: number) => new Date(ms).toISOString();

export const malformedXml = () =>
  new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // keys like "0001" must stay strings
  trimValues: false, // keys may start or end with spaces
  htmlEntities: true, // numeric character references (&#x0D;) the SDK uses for CR/LF
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** Parse a request's XML body; anything not well-formed is S3's MalformedXML. */
export function parseXmlBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  // S3 accepts no DTDs; refusing them also rules out entity-expansion tricks.
  if (text.trim() === '' || /<!DOCTYPE/i.test(text) || XMLValidator.validate(text) !== true) throw malformedXml();
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    throw malformedXml();
  }
}

/** The text of a parsed element that must be a leaf (`<Key>..</Key>`), or undefined when absent or not text. */
export function leafText(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    const rec = node as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 0) return ''; // <Key/> or <Key></Key>
    if (keys.every((k) => k === '#text')) return String(rec['#text']);
  }
  return undefined;
}
