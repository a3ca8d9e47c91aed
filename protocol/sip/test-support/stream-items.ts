// What a stream parser returned, as comparable text (kind and exact bytes): two runs of the parser over the
// same bytes must describe alike, however the reads split them (parser tests and the fuzz run).
import type { SipStreamItem } from '../parser.js';

export function describeStreamItem(item: SipStreamItem): string {
  if (item.kind === 'message') return `message:${item.raw.toString('latin1')}`;
  if (item.kind === 'error') return `error:${item.error.code}:${item.fatal}:${item.raw.toString('latin1')}`;
  return item.kind;
}
