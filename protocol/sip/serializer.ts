// SIP message serializer: start line, headers in order, Content-Length always equal to the body length.
import { normalizeHeaderName } from './header-names.js';
import type { SipMessage } from './message.js';

export function startLine(message: SipMessage): string {
  return message.isRequest
    ? `${message.method} ${message.uri} ${message.version}`
    : `${message.version} ${message.status} ${message.reason}`;
}

export function serializeMessage(message: SipMessage): Buffer {
  let head = startLine(message) + '\r\n';
  let wroteLength = false;
  const length = String(message.body.length);
  for (const h of message.headers) {
    if (normalizeHeaderName(h.name) === 'content-length') {
      if (wroteLength) continue; // a duplicate Content-Length would be ambiguous: keep one
      head += `${h.name}: ${length}\r\n`;
      wroteLength = true;
    } else {
      head += `${h.name}: ${h.value}\r\n`;
    }
  }
  if (!wroteLength) head += `Content-Length: ${length}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'utf8');
  return message.body.length ? Buffer.concat([headBuf, message.body]) : headBuf;
}
