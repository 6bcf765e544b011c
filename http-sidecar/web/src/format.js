// How times, values and states read on the page.
export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function number(value) {
  if (typeof value !== 'number') return String(value ?? '—');
  if (Math.abs(value) < 10) return value.toFixed(2); // pH 6.00 beside 6.40
  if (Number.isInteger(value) || Math.abs(value) >= 100) return value.toFixed(0);
  return value.toFixed(1);
}

const UNITS = { tds: 'ppm', temperature: '°C', humidity: '%', distance_cm: 'cm', rssi: 'dBm' };
export function unitOf(metric) {
  return UNITS[metric] || '';
}

// "pi-2" before "pi-10".
export const byNaturalId = new Intl.Collator(undefined, { numeric: true }).compare;

export function levelClass(level) {
  return level === 'normal' || level === 'warning' || level === 'critical' ? `level-${level}` : 'level-none';
}
