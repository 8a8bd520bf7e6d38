/** Go's zero time.Time, as Unix seconds: what Docker reports for a missing "created". */
export const GO_ZERO_TIME_UNIX = -62135596800;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Unix seconds of an RFC 3339 timestamp, truncated like Go's Time.Unix(); zero time when absent/invalid. */
export function unixSeconds(timestamp: string | undefined): number {
  const m = timestamp ? RFC3339.exec(timestamp) : null;
  if (!m) return GO_ZERO_TIME_UNIX;
  const [, y, mo, d, h, mi, s, , zone] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  if (zone === 'Z' || zone === 'z') return utc;
  const sign = zone!.startsWith('-') ? -1 : 1;
  const [oh, om] = zone!.slice(1).split(':').map(Number) as [number, number];
  // Date.UTC maps years 0-99 to 1900-1999; configs never carry such dates, and Go would differ too.
  return utc - sign * (oh * 3600 + om * 60);
}
