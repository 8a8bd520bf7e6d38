/**
 * Human-readable sizes, durations and timestamps exactly as Docker prints them: the go-units
 * package (HumanSize, BytesSize, HumanDuration) and Go's time.Format for RFC 3339.
 */
import { StrataError } from '../errors.js';
import { formatFloat } from './gofloat.js';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units getSizeAndUnit: divide while ≥ base, stopping at the largest unit. */
function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/**
 * go-units HumanSizeWithPrecision: fmt.Sprintf("%.*g%s", precision, size, unit) with 1000-based units.
 * Go's %g keeps its quirks: 999999 with precision 3 is "1e+03kB".
 */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL_UNITS);
  return formatFloat(size, 'g', precision) + unit;
}

/** go-units HumanSize: four significant digits (docker pull progress). */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** go-units BytesSize: "%.4g" with 1024-based units (KiB, MiB, …). */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, BINARY_UNITS);
  return formatFloat(size, 'g', 4) + unit;
}

/**
 * go-units HumanDuration for a duration in (possibly fractional) seconds. Go truncates with int(),
 * rounds hours (int(h + 0.5)) and derives days, weeks and months from the rounded hours, but years
 * from the truncated ones.
 */
export function humanDuration(seconds: number): string {
  const secs = Math.trunc(seconds);
  if (secs < 1) return 'Less than a second';
  if (secs === 1) return '1 second';
  if (secs < 60) return `${secs} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(seconds / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(seconds / 3600) / 24 / 365)} years`;
}

/** 2000-01-01T00:00:00Z: docker history shows "N/A" for anything created at or before it (and for 0). */
export const CREATED_EPOCH = 946684800;

/**
 * docker history's CreatedSince in human mode: `created <= 2000-01-01` gives "N/A" (so does a missing
 * time, which the daemon sends as 0); otherwise HumanDuration(now - created) + " ago".
 */
export function createdSince(createdUnixSeconds: number, nowMs: number = Date.now()): string {
  if (createdUnixSeconds <= CREATED_EPOCH) return 'N/A';
  // Whole milliseconds first, so the division by 1000 is the only rounding.
  return `${humanDuration((nowMs - createdUnixSeconds * 1000) / 1000)} ago`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Go's "Z07:00": Z for a zero offset, else ±hh:mm (seconds of the offset are dropped). */
function zoneSuffix(offsetSeconds: number): string {
  if (offsetSeconds === 0) return 'Z';
  const abs = Math.abs(offsetSeconds);
  return `${offsetSeconds < 0 ? '-' : '+'}${pad(Math.trunc(abs / 3600))}:${pad(Math.trunc(abs / 60) % 60)}`;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  offset: number; // seconds east of UTC
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Wall clock and UTC offset of an instant, in the process time zone or an IANA zone. */
function wallClock(ms: number, tz?: string): Wall {
  if (tz === undefined) {
    const d = new Date(ms);
    return {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
      offset: Math.round(-d.getTimezoneOffset() * 60),
    };
  }
  let f = zoneFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(tz, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value;
  // Years before 1 AD come back as "BC" eras; Go counts them astronomically (1 BC is year 0).
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year);
  const w = {
    year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const utc = new Date(asUtc);
  if (w.year >= 0 && w.year < 100) utc.setUTCFullYear(w.year); // Date.UTC maps 0–99 to 1900–1999
  const wholeSecondMs = Math.floor(ms / 1000) * 1000;
  return { ...w, offset: Math.round((utc.getTime() - wholeSecondMs) / 1000) };
}

function formatYear(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

/**
 * Go's time.Unix(s, 0).Format(time.RFC3339): local time of the process (its TZ), or of `tz` (an IANA
 * name such as "Europe/Berlin"). "2026-11-28T18:50:49Z" in UTC, "2026-11-28T19:50:49+01:00" in Berlin.
 */
export function formatRFC3339Local(unixSeconds: number, tz?: string): string {
  const w = wallClock(Math.trunc(unixSeconds) * 1000, tz);
  return (
    `${formatYear(w.year)}-${pad(w.month)}-${pad(w.day)}` +
    `T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${zoneSuffix(w.offset)}`
  );
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Re-format an RFC 3339 timestamp the way Go prints a parsed time.Time with time.RFC3339Nano (as
 * `docker image inspect` does for Created): the wall clock and offset are kept, the fraction is cut to
 * nanoseconds and loses its trailing zeros (no fraction when it is zero), a zero offset becomes "Z".
 * Works on the text, so nanoseconds survive.
 */
export function formatRFC3339Nano(iso: string): string {
  const m = RFC3339_RE.exec(iso);
  const bad = () => new StrataError('invalid', `parsing time "${iso}" as RFC 3339: not a valid timestamp`);
  if (!m) throw bad();
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) throw bad();
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw bad();
  let offset = 0;
  if (zone !== 'Z') {
    const oh = Number(zone!.slice(1, 3));
    const om = Number(zone!.slice(4, 6));
    if (oh > 23 || om > 59) throw bad();
    offset = (zone![0] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const nanos = (frac ?? '').slice(0, 9).replace(/0+$/, '');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${nanos ? `.${nanos}` : ''}${zoneSuffix(offset)}`;
}
