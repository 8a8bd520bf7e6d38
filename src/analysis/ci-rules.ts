import { StrataError } from '../errors.js';

/** CI thresholds, as dive's `.dive-ci` file and flags name them. undefined = rule disabled. */
export interface CiRules {
  lowestEfficiency?: number;
  highestWastedBytes?: number;
  highestUserWastedPercent?: number;
}

export interface CiFigures {
  efficiency: number;
  wastedBytes: number;
  /** null (or NaN) when the upper layers store nothing: the rule is then skipped. */
  userWastedPercent: number | null;
}

export interface CiVerdict {
  rule: keyof CiRules;
  limit: number;
  value: number | null;
  status: 'PASS' | 'FAIL' | 'SKIP';
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** "20MB", "1.5 GiB", "32025" → bytes. */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*([\d.]+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
  const n = Number(m?.[1]);
  if (!m || unit === undefined || !Number.isFinite(n))
    throw new StrataError('usage', `${what}: "${text}" is not a size`);
  return Math.round(n * unit);
}

function parseRatio(text: string, what: string): number {
  const n = Number(text.trim());
  if (!Number.isFinite(n) || n < 0) throw new StrataError('usage', `${what}: "${text}" is not a number`);
  return n;
}

/** One rule's value from text; "disabled" (or empty) turns the rule off. */
export function parseRule(rule: keyof CiRules, text: string): number | undefined {
  const t = text.trim().replace(/^["']|["']$/g, '');
  if (t === '' || t.toLowerCase() === 'disabled') return undefined;
  return rule === 'highestWastedBytes' ? parseByteSize(t, rule) : parseRatio(t, rule);
}

/**
 * The `rules:` section of a `.dive-ci` YAML file (the only part CI reads): `key: value` lines indented
 * under `rules:`. Unknown keys are an error, so a typo never silently disables a gate.
 */
export function parseCiFile(text: string, what: string): CiRules {
  const rules: CiRules = {};
  let inRules = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      inRules = line.trim() === 'rules:';
      continue;
    }
    if (!inRules) continue;
    const m = /^\s+([A-Za-z]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new StrataError('usage', `${what}: cannot read "${raw.trim()}"`);
    const key = m[1] as keyof CiRules;
    if (!['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'].includes(key)) {
      throw new StrataError('usage', `${what}: unknown rule "${key}"`);
    }
    rules[key] = parseRule(key, m[2] ?? '');
  }
  return rules;
}

/** Judge the figures against the rules, in a fixed order. */
export function evaluateRules(rules: CiRules, f: CiFigures): CiVerdict[] {
  const out: CiVerdict[] = [];
  if (rules.lowestEfficiency !== undefined) {
    const ok = f.efficiency >= rules.lowestEfficiency;
    out.push({
      rule: 'lowestEfficiency',
      limit: rules.lowestEfficiency,
      value: f.efficiency,
      status: ok ? 'PASS' : 'FAIL',
    });
  }
  if (rules.highestWastedBytes !== undefined) {
    const ok = f.wastedBytes <= rules.highestWastedBytes;
    out.push({
      rule: 'highestWastedBytes',
      limit: rules.highestWastedBytes,
      value: f.wastedBytes,
      status: ok ? 'PASS' : 'FAIL',
    });
  }
  if (rules.highestUserWastedPercent !== undefined) {
    const v = f.userWastedPercent;
    const known = v !== null && Number.isFinite(v);
    out.push({
      rule: 'highestUserWastedPercent',
      limit: rules.highestUserWastedPercent,
      value: known ? v : null,
      status: !known ? 'SKIP' : v <= rules.highestUserWastedPercent ? 'PASS' : 'FAIL',
    });
  }
  return out;
}
