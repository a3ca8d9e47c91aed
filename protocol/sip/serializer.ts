// SIP message serializer: start line, headers in order, Content-Length always equal to the body length.
// Refuses (SipSerializeError) what would put unintended lines on the wire: CR, LF or NUL in any header value,
// the Request-URI or the reason phrase (RFC 3261 §7.3.1: a header ends at CRLF), a header name that is not a
// token, white space in the method or the Request-URI.
import { SipSerializeError } from './errors.js';
import { normalizeHeaderName } from './header-names.js';
import type { SipMessage } from './message.js';

/** CR, LF or NUL: never inside a header value or a start line. */
const LINE_BREAKING = /[\r\n\0]/;
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Throws SipSerializeError when `value` could break out of its line. */
export function assertSafeHeaderValue(field: string, value: string): void {
  if (LINE_BREAKING.test(value)) {
    throw new SipSerializeError(field, `CR, LF or NUL in ${field}: ${JSON.stringify(value.slice(0, 80))}`);
  }
}

export function startLine(message: SipMessage): string {
  if (message.isRequest) {
    if (!TOKEN.test(message.method)) {
      throw new SipSerializeError('method', `bad method ${JSON.stringify(message.method.slice(0, 40))}`);
    }
    if (/[\s\0]/.test(message.uri) || message.uri === '') {
      throw new SipSerializeError(
        'Request-URI',
        `white space or NUL in ${JSON.stringify(message.uri.slice(0, 80))}`,
      );
    }
    return `${message.method} ${message.uri} ${message.version}`;
  }
  assertSafeHeaderValue('reason phrase', message.reason);
  return `${message.version} ${message.status} ${message.reason}`;
}

export function serializeMessage(message: SipMessage): Buffer {
  let head = startLine(message) + '\r\n';
  let wroteLength = false;
  const length = String(message.body.length);
  for (const h of message.headers) {
    if (!TOKEN.test(h.name)) {
      throw new SipSerializeError('header name', `bad header name ${JSON.stringify(h.name.slice(0, 40))}`);
    }
    if (normalizeHeaderName(h.name) === 'content-length') {
      if (wroteLength) continue; // a duplicate Content-Length would be ambiguous: keep one
      head += `${h.name}: ${length}\r\n`;
      wroteLength = true;
    } else {
      assertSafeHeaderValue(h.name, h.value);
      head += `${h.name}: ${h.value}\r\n`;
    }
  }
  if (!wroteLength) head += `Content-Length: ${length}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'utf8');
  return message.body.length ? Buffer.concat([headBuf, message.body]) : headBuf;
}
