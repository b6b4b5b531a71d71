import { describe, expect, it } from 'vitest';
import { clientIp, hostWithoutPort, normaliseContentType, recordedHeaders, renderIp, scanHeaders } from './payload';

describe('payload helpers', () => {
  it('normalises the content type like http4s (lower case, "; " between parameters), undefined when unparseable', () => {
    expect(normaliseContentType('Application/JSON;Charset=UTF-8')).toBe('application/json; charset=utf-8');
    expect(normaliseContentType('Application/JSON;Charset=UTF-8')).toBe('application/json; charset=utf-8'); // memoised path
    expect(normaliseContentType('text/plain')).toBe('text/plain');
    expect(normaliseContentType('application/x-www-form-urlencoded ;  charset=ISO-8859-1 ; ')).toBe('application/x-www-form-urlencoded; charset=iso-8859-1');
    expect(normaliseContentType('garbage')).toBeUndefined();
    expect(normaliseContentType('')).toBeUndefined();
    expect(normaliseContentType(undefined)).toBeUndefined();
  });

  it('renders IPs like ip4s toUriString', () => {
    expect(renderIp('10.0.0.1')).toBe('10.0.0.1');
    expect(renderIp('::1')).toBe('[::1]');
    expect(renderIp('2001:DB8:0:0:0:0:0:1')).toBe('[2001:db8::1]');
    expect(renderIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('derives the client IP from XFF, Forwarded, the socket, or unknown', () => {
    const ip = (raw: string[], remote?: string) => clientIp(scanHeaders(raw), remote);
    expect(ip(['X-Forwarded-For', '1.1.1.1, 2.2.2.2'], '9.9.9.9')).toBe('1.1.1.1');
    expect(ip(['X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2'], '9.9.9.9')).toBe('1.1.1.1');
    expect(ip(['Forwarded', 'for="_hidden", for=1.1.1.1'], '9.9.9.9')).toBe('9.9.9.9');
    expect(ip(['Forwarded', 'proto=https;for=1.2.3.4:8080'], '9.9.9.9')).toBe('1.2.3.4');
    expect(ip([], undefined)).toBe('unknown');
    expect(ip(['SP-Anonymous', '*', 'X-Forwarded-For', '1.1.1.1'], '9.9.9.9')).toBe('unknown');
  });

  it('records headers in order and case, drops unsafe cookie parts, appends the content type last', () => {
    const raw = ['Host', 'h', 'cookie', 'a=1; b="x"', 'X-Real-Ip', '1.2.3.4', 'Content-Type', 'text/plain'];
    expect(recordedHeaders(raw, false, 'text/plain')).toEqual(['Host: h', 'cookie: a=1', 'X-Real-Ip: 1.2.3.4', 'Content-Type: text/plain', 'text/plain']);
    expect(recordedHeaders(raw, true, undefined)).toEqual(['Host: h', 'Content-Type: text/plain']);
  });

  it('strips the port from the Host header', () => {
    expect(hostWithoutPort('acme.com:9090')).toBe('acme.com');
    expect(hostWithoutPort('[::1]:9090')).toBe('[::1]');
    expect(hostWithoutPort('acme.com')).toBe('acme.com');
    expect(hostWithoutPort(undefined)).toBeUndefined();
  });
});
