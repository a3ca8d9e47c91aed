import { describe, expect, it } from 'vitest';
import { MsrpUriError } from './errors.js';
import {
  formatMsrpUri,
  localSessionUri,
  msrpPathEquals,
  msrpUriEquals,
  newSessionId,
  parseMsrpPath,
  parseMsrpUri,
} from './uri.js';

describe('MSRP URIs', () => {
  it('RFC 4975 §9: msrp://host:port/session-id;tcp parses and formats back', () => {
    const text = 'msrp://atlanta.example.com:7654/jshA7weztas;tcp';
    const uri = parseMsrpUri(text);
    expect(uri).toMatchObject({
      scheme: 'msrp',
      host: 'atlanta.example.com',
      port: 7654,
      sessionId: 'jshA7weztas',
      transport: 'tcp',
    });
    expect(formatMsrpUri(uri)).toBe(text);
  });

  it('RFC 4975 §9: userinfo, IPv6, msrps and extra parameters', () => {
    const text = 'msrps://bob@[2001:db8::1]:2855/a+b=c/d;tcp;foo=bar';
    const uri = parseMsrpUri(text);
    expect(uri).toMatchObject({
      scheme: 'msrps',
      userinfo: 'bob',
      host: '[2001:db8::1]',
      sessionId: 'a+b=c/d',
      params: ['foo=bar'],
    });
    expect(formatMsrpUri(uri)).toBe(text);
    expect(parseMsrpUri('msrp://relay.example.com;tcp').sessionId).toBeUndefined();
  });

  it('RFC 4975 §9: malformed URIs throw MsrpUriError', () => {
    for (const bad of [
      'sip:alice@example.com',
      'msrp://host:1/sess',
      'msrp://host:99999/s;tcp',
      'msrp://host:1/s;t*p',
      'msrp:///s;tcp',
    ]) {
      expect(() => parseMsrpUri(bad), bad).toThrow(MsrpUriError);
    }
  });

  it('RFC 4975 §6.1: comparison — scheme, host and transport case-insensitive, session-id case-sensitive, port compared', () => {
    const a = parseMsrpUri('msrp://Host.Example:2855/abcDEF;TCP');
    expect(msrpUriEquals(a, parseMsrpUri('MSRP://host.example:2855/abcDEF;tcp'))).toBe(true);
    expect(msrpUriEquals(a, parseMsrpUri('msrp://host.example/abcDEF;tcp'))).toBe(true); // default port 2855
    expect(msrpUriEquals(a, parseMsrpUri('msrp://host.example:2855/abcdef;tcp'))).toBe(false);
    expect(msrpUriEquals(a, parseMsrpUri('msrp://host.example:2856/abcDEF;tcp'))).toBe(false);
    expect(msrpUriEquals(a, parseMsrpUri('msrps://host.example:2855/abcDEF;tcp'))).toBe(false);
    expect(msrpUriEquals(a, parseMsrpUri('msrp://other.example:2855/abcDEF;tcp'))).toBe(false);
    expect(msrpUriEquals(a, parseMsrpUri('msrp://host.example:2855/abcDEF;sctp'))).toBe(false);
    expect(msrpUriEquals(a, parseMsrpUri('msrp://user@host.example:2855/abcDEF;tcp;x=1'))).toBe(true);
  });

  it('RFC 4975 §8.1: paths are whitespace-separated URI lists', () => {
    const path = parseMsrpPath('msrp://r.example:1/a;tcp  msrp://b.example:2/b;tcp');
    expect(path).toHaveLength(2);
    expect(msrpPathEquals(path, parseMsrpPath('msrp://r.example:1/a;tcp msrp://b.example:2/b;tcp'))).toBe(
      true,
    );
    expect(msrpPathEquals(path, path.slice(1))).toBe(false);
    expect(() => parseMsrpPath('  ')).toThrow(MsrpUriError);
  });

  it('RFC 4975 §14.1: session-ids carry at least 80 random bits and do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(Buffer.from(id, 'base64url').length * 8).toBeGreaterThanOrEqual(80);
    const uri = localSessionUri('127.0.0.1', 4000);
    expect(formatMsrpUri(uri)).toMatch(/^msrp:\/\/127\.0\.0\.1:4000\/[A-Za-z0-9_-]{20};tcp$/);
    expect(formatMsrpUri(localSessionUri('::1', 5))).toMatch(/^msrp:\/\/\[::1\]:5\//);
  });
});
