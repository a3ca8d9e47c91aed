// RFC 3339 §5.6 date-time, as used by CPIM DateTime (RFC 3862 §3.3.6), IMDN <datetime> and group state.
import { BodyParseError } from './errors.js';

const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Parse an RFC 3339 date-time into a Date (millisecond precision). Throws BodyParseError('datetime'). */
export function parseDateTime(text: string): Date {
  const m = DATE_TIME_RE.exec(text.trim());
  if (!m) throw new BodyParseError('datetime', `not an RFC 3339 date-time: ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const maxDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  // RFC 3339 §5.7: second may be 60 (leap second); Date cannot hold it, so it is clamped to 59.999.
  if (month < 1 || month > 12 || day < 1 || day > maxDay || hour > 23 || minute > 59 || second > 60) {
    throw new BodyParseError('datetime', `date-time out of range: ${JSON.stringify(text)}`);
  }
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) throw new BodyParseError('datetime', `bad offset in ${JSON.stringify(text)}`);
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const leap = second === 60;
  const utc =
    Date.UTC(year, month - 1, day, hour, minute, leap ? 59 : second, leap ? 999 : ms) - offsetMin * 60_000;
  return new Date(utc);
}

/** Format as RFC 3339 in UTC: `2026-11-24T10:15:00.000Z`, or without fraction when `seconds` is asked for. */
export function formatDateTime(date: Date, precision: 'millis' | 'seconds' = 'millis'): string {
  const iso = date.toISOString();
  return precision === 'seconds' ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
}
