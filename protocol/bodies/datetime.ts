// RFC 3339 §5.6 date-time, as used by CPIM DateTime (RFC 3862 §3.3.6), IMDN <datetime> and group state.
import { BodyParseError } from './errors.js';

const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Parse an RFC 3339 date-time into a Date (millisecond precision). Throws BodyParseError('datetime'). */
export function parseDateTime(text: string): Date {
  const m = DATE_TIME_RE.exec(text.trim());
  if (!m) throw new BodyParseError('datetime', `not an RFC 3339 date-time: ${JSON.stringify(text)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const maxDay = daysInMonth(year, month);
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

/** RFC 3339 §5.7: days of the month, February 29 in leap years (Appendix C). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Format as RFC 3339 in UTC: `2026-11-24T10:15:00.000Z`, or without fraction when `seconds` is asked for. */
export function formatDateTime(date: Date, precision: 'millis' | 'seconds' = 'millis'): string {
  const iso = date.toISOString();
  return precision === 'seconds' ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
}
