import { describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import { formatFloat } from '../../src/format/gofloat.js';
import {
  bytesSize,
  createdSince,
  formatRFC3339Local,
  formatRFC3339Nano,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
} from '../../src/format/units.js';

describe('formatFloat (Go strconv.FormatFloat)', () => {
  test.each([
    // fixed precision rounds exact ties to even, unlike JS toPrecision/toFixed
    [1.125, 'g', 3, '1.12'],
    [1.135, 'g', 3, '1.14'], // 1.135 is really 1.13500000000000000888…
    [0.125, 'f', 2, '0.12'],
    [0.375, 'f', 2, '0.38'],
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [0.009, 'f', 2, '0.01'],
    [0.0004, 'f', 2, '0.00'],
    [0.1, 'f', 20, '0.10000000000000000555'],
    [1234.5, 'e', 2, '1.23e+03'],
    [0, 'e', 2, '0.00e+00'],
    [999.9999, 'g', 3, '1e+03'],
    [100, 'g', 3, '100'],
    [0, 'g', 3, '0'],
    [0.00001234, 'g', 3, '1.23e-05'],
    [0.0001234, 'g', 3, '0.000123'],
    [5, 'g', 0, '5'],
    // shortest (%v): exponent form from 1e21 down to exponent 6
    [1.5, 'g', -1, '1.5'],
    [100000, 'g', -1, '100000'],
    [1e6, 'g', -1, '1e+06'],
    [1234567, 'g', -1, '1.234567e+06'],
    [123456789.5, 'g', -1, '1.234567895e+08'],
    [0.0001, 'g', -1, '0.0001'],
    [0.00001, 'g', -1, '1e-05'],
    [0.1 + 0.2, 'g', -1, '0.30000000000000004'],
    [5e-324, 'g', -1, '5e-324'],
    [Number.MAX_VALUE, 'g', -1, '1.7976931348623157e+308'],
    [-0, 'g', -1, '-0'],
    [-2.5, 'f', -1, '-2.5'],
    [1e21, 'e', -1, '1e+21'],
    [1.5e300, 'E', 3, '1.500E+300'],
    [1e-7, 'G', -1, '1E-07'],
    [Number.NaN, 'g', -1, 'NaN'],
    [Number.POSITIVE_INFINITY, 'g', -1, '+Inf'],
    [Number.NEGATIVE_INFINITY, 'f', 2, '-Inf'],
  ] as const)('%s %s %s → %s', (x, fmt, prec, want) => {
    expect(formatFloat(x, fmt, prec)).toBe(want);
  });
});

describe('humanSizeWithPrecision (go-units, %.3g with 1000-based units)', () => {
  test.each([
    [0, '0B'],
    [13, '13B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.23kB'],
    [1125, '1.12kB'], // exact tie: Go rounds to even
    [101_999, '102kB'],
    [102_400, '102kB'],
    [999_499, '999kB'],
    [999_999, '1e+03kB'], // Go %g quirk kept
    [1_980_000, '1.98MB'],
    [8_460_000, '8.46MB'],
    [77_800_000, '77.8MB'],
    [182_964_289, '183MB'],
    [5_000_000_000, '5GB'],
    [1e27, '1e+03YB'], // no unit above YB
    [1e30, '1e+06YB'],
  ])('%d → %s', (bytes, want) => {
    expect(humanSizeWithPrecision(bytes, 3)).toBe(want);
  });

  test('other precisions', () => {
    expect(humanSizeWithPrecision(1_234_567, 1)).toBe('1MB');
    expect(humanSizeWithPrecision(1_234_567, 2)).toBe('1.2MB');
    expect(humanSizeWithPrecision(1_234_567, 0)).toBe('1MB'); // %.0g is %.1g
  });
});

describe('humanSize (%.4g) and bytesSize (1024-based)', () => {
  test.each([
    [0, '0B'],
    [31_200_000, '31.2MB'],
    [52_580_000, '52.58MB'],
    [52_584_999, '52.58MB'],
    [2_746_000, '2.746MB'],
    [999_950, '1000kB'],
    [999_999_999, '1000MB'], // four digits: 1000 still fits without an exponent
  ])('humanSize %d → %s', (bytes, want) => {
    expect(humanSize(bytes)).toBe(want);
  });

  test.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KiB'],
    [45_056, '44KiB'],
    [17 * 1024 * 1024, '17MiB'],
    [1_500_000_000, '1.397GiB'],
  ])('bytesSize %d → %s', (bytes, want) => {
    expect(bytesSize(bytes)).toBe(want);
  });
});

describe('humanDuration (go-units HumanDuration)', () => {
  const minute = 60;
  const hour = 60 * minute;
  const day = 24 * hour;
  const week = 7 * day;
  const month = 30 * day;
  const year = 365 * day;
  // The cases of go-units' own duration_test.go.
  test.each([
    [0.45, 'Less than a second'],
    [1, '1 second'],
    [45, '45 seconds'],
    [46, '46 seconds'],
    [59, '59 seconds'],
    [60, 'About a minute'],
    [3 * minute, '3 minutes'],
    [35 * minute, '35 minutes'],
    [35 * minute + 40, '35 minutes'],
    [45 * minute, '45 minutes'],
    [45 * minute + 40, '45 minutes'],
    [46 * minute, '46 minutes'],
    [59 * minute, '59 minutes'],
    [hour, 'About an hour'],
    [hour + 29 * minute, 'About an hour'],
    [hour + 31 * minute, '2 hours'],
    [hour + 59 * minute, '2 hours'],
    [3 * hour, '3 hours'],
    [3 * hour + 29 * minute, '3 hours'],
    [3 * hour + 31 * minute, '4 hours'],
    [3 * hour + 59 * minute, '4 hours'],
    [3 * hour + 60 * minute, '4 hours'],
    [24 * hour, '24 hours'],
    [day + 12 * hour, '36 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * hour, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [3 * week, '3 weeks'],
    [4 * week, '4 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [month, '4 weeks'],
    [month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [2 * month + 2 * week, '2 months'],
    [3 * month, '3 months'],
    [3 * month + week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [23 * month, '23 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ])('%d s → %s', (seconds, want) => {
    expect(humanDuration(seconds)).toBe(want);
  });

  test('edges', () => {
    expect(humanDuration(-5)).toBe('Less than a second'); // clock skew: created in the future
    expect(humanDuration(0.999)).toBe('Less than a second');
    expect(humanDuration(1.999)).toBe('1 second');
    expect(humanDuration(119.9)).toBe('About a minute');
    expect(humanDuration(47 * hour + 29 * minute)).toBe('47 hours');
    expect(humanDuration(47 * hour + 30 * minute)).toBe('2 days'); // rounded hours reach 48
    expect(humanDuration(2 * year - 1)).toBe('1 years'); // go-units: rounded hours reach 2 years, truncated ones do not
    expect(humanDuration(2 * year)).toBe('2 years');
  });
});

describe('createdSince', () => {
  const now = 1_795_891_849_000; // 2026-11-28T18:50:49Z
  test('N/A up to and including 2000-01-01T00:00:00Z, and for a missing time (0)', () => {
    expect(createdSince(0, now)).toBe('N/A');
    expect(createdSince(-1, now)).toBe('N/A');
    expect(createdSince(946_684_800, now)).toBe('N/A');
    expect(createdSince(946_684_801, now)).toBe('26 years ago');
  });
  test('human durations with " ago"', () => {
    expect(createdSince(1_795_891_849, now)).toBe('Less than a second ago');
    expect(createdSince(1_795_891_849, now + 999)).toBe('Less than a second ago');
    expect(createdSince(1_795_891_849, now + 1000)).toBe('1 second ago');
    expect(createdSince(1_795_891_849 - 7 * 86_400, now)).toBe('7 days ago');
    expect(createdSince(1_795_891_849 + 60, now)).toBe('Less than a second ago');
  });
});

describe('formatRFC3339Local', () => {
  const t = 1_795_891_849; // 2026-11-28T18:50:49Z
  test.each([
    ['UTC', '2026-11-28T18:50:49Z'],
    ['Etc/UTC', '2026-11-28T18:50:49Z'],
    ['Europe/London', '2026-11-28T18:50:49Z'], // GMT: a zero offset is always Z
    ['Europe/Berlin', '2026-11-28T19:50:49+01:00'],
    ['America/New_York', '2026-11-28T13:50:49-05:00'],
    ['Asia/Kolkata', '2026-11-29T00:20:49+05:30'],
    ['America/St_Johns', '2026-11-28T15:20:49-03:30'],
    ['Pacific/Kiritimati', '2026-11-29T08:50:49+14:00'],
  ])('%s', (tz, want) => {
    expect(formatRFC3339Local(t, tz)).toBe(want);
  });

  test('summer time and the epoch', () => {
    expect(formatRFC3339Local(1_783_000_000, 'Europe/Berlin')).toBe('2026-07-02T15:46:40+02:00');
    expect(formatRFC3339Local(0, 'UTC')).toBe('1970-01-01T00:00:00Z');
    expect(formatRFC3339Local(1_483_272_003, 'UTC')).toBe('2017-01-01T12:00:03Z');
    expect(formatRFC3339Local(-1, 'UTC')).toBe('1969-12-31T23:59:59Z');
    // Go's zero time; Berlin then ran on local mean time, +00:53:28, printed without the seconds.
    expect(formatRFC3339Local(-62_135_596_800, 'UTC')).toBe('0001-01-01T00:00:00Z');
    expect(formatRFC3339Local(-62_135_596_800, 'Europe/Berlin')).toBe('0001-01-01T00:53:28+00:53');
  });

  test('without a zone it uses the process time zone', () => {
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatRFC3339Local(t)).toBe(formatRFC3339Local(t, local));
    expect(formatRFC3339Local(0)).toBe(formatRFC3339Local(0, local));
  });
});

describe('formatRFC3339Nano', () => {
  test.each([
    ['2026-11-28T18:50:49.270651692Z', '2026-11-28T18:50:49.270651692Z'],
    ['2024-01-02T03:04:05.1+02:00', '2024-01-02T03:04:05.1+02:00'],
    ['2024-01-02T03:04:05.100000000-07:30', '2024-01-02T03:04:05.1-07:30'],
    ['2024-01-02T03:04:05.000000000Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05+00:00', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05.5-00:00', '2024-01-02T03:04:05.5Z'],
    ['2024-01-02T03:04:05.1234567891Z', '2024-01-02T03:04:05.123456789Z'], // cut to nanoseconds
    ['2024-02-29T23:59:59.000000001Z', '2024-02-29T23:59:59.000000001Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
  ])('%s → %s', (input, want) => {
    expect(formatRFC3339Nano(input)).toBe(want);
  });

  test.each([
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T00:00:60Z',
    '2024-01-01 00:00:00Z',
    '2024-01-01T00:00:00',
    '2024-01-01T00:00:00+2:00',
    '2024-01-01T00:00:00.Z',
    '',
  ])('rejects %j', (input) => {
    let err: unknown;
    try {
      formatRFC3339Nano(input);
    } catch (e) {
      err = e;
    }
    expect(isStrataError(err) && err.kind).toBe('invalid');
  });
});
