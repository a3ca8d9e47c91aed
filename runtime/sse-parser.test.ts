import { describe, expect, it } from 'vitest';
import { SseParser, SseProtocolError } from './sse-parser.js';

describe('SSE parser (HTML §9.2.6)', () => {
  it('parses events, multi-line data, ids, comments and retry across arbitrary chunking', () => {
    const text =
      ': hello\r\nretry: 1500\nevent: trace\nid: 7\ndata: {"a":1}\n\ndata: line1\rdata:line2\r\n\r\nevent: node\ndata: x\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const items = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(items).toEqual([
        { kind: 'comment', text: 'hello' },
        { kind: 'event', event: 'trace', id: '7', data: '{"a":1}' },
        { kind: 'event', event: 'message', id: '7', data: 'line1\nline2' },
        { kind: 'event', event: 'node', id: '7', data: 'x' },
      ]);
      expect(parser.retryMs).toBe(1500);
      expect(parser.lastEventId).toBe('7');
    }
  });

  it('an event with no data is not dispatched; an unterminated one waits', () => {
    const parser = new SseParser();
    expect(parser.push('event: x\n\ndata: partial')).toEqual([]);
    expect(parser.push('\n\n')).toEqual([{ kind: 'event', event: 'message', id: '', data: 'partial' }]);
  });

  it('bounds the size of one event', () => {
    const parser = new SseParser(100);
    expect(() => parser.push(`data: ${'x'.repeat(200)}`)).toThrow(SseProtocolError);
    const lines = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 20; i++) lines.push('data: 0123456789\n');
    }).toThrow(SseProtocolError);
  });
});
