import { describe, expect, it } from 'vitest';
import { WireTrace } from '../protocol/trace/index.js';
import { createLogger } from './logger.js';
import { logWireMessages } from './wire-log.js';

const INVITE = 'INVITE sip:alice@ims.lab SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n';

function event(raw: Buffer) {
  return {
    time: 0,
    protocol: 'sip' as const,
    direction: 'in' as const,
    transport: 'tcp' as const,
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address: '127.0.0.1', port: 40_000 },
    raw,
  };
}

describe('logWireMessages: every SIP and MSRP message in full at debug', () => {
  it('at debug: one log line per message, its whole text in the `message` field (CR/LF escaped)', () => {
    const lines: string[] = [];
    const trace = new WireTrace();
    logWireMessages(trace, createLogger('cscf', { level: 'debug', write: (l) => lines.push(l), env: {} }));
    trace.publish(event(Buffer.from(INVITE)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DEBUG cscf received SIP');
    expect(lines[0]).toContain('INVITE sip:alice@ims.lab SIP/2.0\\r\\nCall-ID: x');
    expect(lines[0]).not.toMatch(/\r|\n/);
  });

  it('bodies beyond 64 KiB are cut, saying how much was left out', () => {
    const lines: string[] = [];
    const trace = new WireTrace();
    const json = createLogger('pf', { level: 'debug', json: true, write: (l) => lines.push(l), env: {} });
    logWireMessages(trace, json);
    trace.publish(event(Buffer.alloc(70 * 1024, 'x')));
    const entry = JSON.parse(lines[0]!) as { message: string; bytes: number };
    expect(entry.bytes).toBe(70 * 1024);
    expect(entry.message.endsWith(`… (${6 * 1024} more bytes)`)).toBe(true);
  });

  it('below debug nothing listens (no cost on the message path)', () => {
    const trace = new WireTrace();
    logWireMessages(trace, createLogger('alice', { level: 'info', write: () => {}, env: {} }));
    expect(trace.active).toBe(false);
  });
});
