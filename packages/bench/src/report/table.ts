import type { BenchReport, TargetRow, WindowResult } from '../results';
import type { ServerKind } from '../harness/servers';

const COLS: ServerKind[] = ['cinder', 'raw', 'socketio'];

type Cell = string;
const dash = '–';

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return dash;
  if (v === Infinity) return '∞';
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}
function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return dash;
  return `${(a / b).toFixed(2)}×`;
}

interface Row {
  scenario: string;
  figure: string;
  values: Partial<Record<ServerKind, string>>;
  raw: Partial<Record<ServerKind, number | null>>;
  target?: string;
}

function lat(w: WindowResult | undefined): string {
  return w ? `${ms(w.p50Ms)} / ${ms(w.p99Ms)}` : dash;
}

/** The markdown table `pnpm bench` prints. */
export function renderTable(r: BenchReport): string {
  const rows: Row[] = [];
  const sizes = [...new Set(r.fanout.map((f) => f.subscribers))];
  for (const n of sizes) {
    const by = (k: ServerKind) => r.fanout.find((f) => f.server === k && f.subscribers === n);
    const scen = `fan-out ${num(n)}`;
    const rate = by('cinder')?.fixed ?? by('raw')?.fixed ?? by('socketio')?.fixed;
    const at = rate ? ` @ ${num(Math.round(rate.targetBroadcastsPerSec * rate.subscribers))}/s` : '';
    rows.push(row(scen, `server CPU µs/delivery${at}`, (k) => by(k)?.fixed.cpuUsPerDelivery, (v) => num(v, 2), '≤1.15× raw, ≤0.6× SIO'));
    rows.push(textRow(scen, `p50 / p99 ms${at}`, (k) => lat(by(k)?.fixed)));
    rows.push(textRow(scen, 'deliveries complete (fixed rate)', (k) => {
      const f = by(k)?.fixed;
      return f ? `${f.complete ? 'yes' : 'NO'} (${num(f.deliveries)}/${num(f.expectedDeliveries)})` : dash;
    }));
    const max = row(scen, 'max sustained deliveries/s (p99 < 250 ms)', (k) => by(k)?.maxSustainedDeliveriesPerSec, (v) => num(v), '≥0.9× raw');
    for (const k of COLS) {
      const f = by(k);
      if (f && f.maxSustainedDeliveriesPerSec === 0) max.values[k] = `< ${num(f.lowestTriedDeliveriesPerSec)}`;
    }
    rows.push(max);
  }
  if (r.burst.length > 0) {
    const by = (k: ServerKind) => r.burst.find((b) => b.server === k);
    const first = r.burst[0];
    const scen = `burst ${num(first.subscribers)} subs, ${first.publishers} publishers`;
    rows.push(row(scen, 'server CPU µs/delivery', (k) => by(k)?.cpuUsPerDelivery, (v) => num(v, 2)));
    rows.push(row(scen, 'deliveries/s', (k) => by(k)?.deliveriesPerSec, (v) => num(v)));
    rows.push(textRow(scen, 'p50 / p99 ms', (k) => (by(k) ? `${ms(by(k)!.p50Ms)} / ${ms(by(k)!.p99Ms)}` : dash)));
    rows.push(textRow(scen, 'deliveries complete', (k) => {
      const b = by(k);
      return b ? `${b.complete ? 'yes' : 'NO'} (${num(b.deliveries)}/${num(b.expectedDeliveries)})` : dash;
    }));
  }
  for (const x of r.rooms) {
    const k = x.server;
    const scen = `rooms ${num(x.sessions)}×${Math.round(x.sockets / Math.max(1, x.sessions))}`;
    const errors = Object.entries(x.replyErrors).map(([reason, n]) => `${reason} ${num(n)}`).join(', ');
    rows.push(
      textRow(scen, 'persisted msg/s sent (replies ok)', (c) =>
        c === k ? `${num(x.messagesPerSec)} (${num(x.repliesOk)}/${num(x.sent)}${errors ? `; ${errors}` : ''})` : dash,
      ),
    );
    rows.push({ ...textRow(scen, 'push→reply p50 / p99 ms', (c) => (c === k ? `${ms(x.replyP50Ms)} / ${ms(x.replyP99Ms)}` : dash)), target: 'p99 ≤ 25 ms @ 1,000/s' });
    rows.push(textRow(scen, 'push→delivery p50 / p99 ms', (c) => (c === k ? `${ms(x.deliveryP50Ms)} / ${ms(x.deliveryP99Ms)}` : dash)));
    rows.push(textRow(scen, 'deliveries complete', (c) => (c === k ? `${x.complete ? 'yes' : 'NO'} (${num(x.deliveries)}/${num(x.expectedDeliveries)})` : dash)));
  }
  if (r.idle.length > 0) {
    const by = (k: ServerKind) => r.idle.find((i) => i.server === k);
    const joined = row('idle', 'joined sockets', (k) => by(k)?.joined, (v) => num(v));
    for (const k of COLS) {
      const i = by(k);
      if (i && i.processes > 1) joined.values[k] += ` (${i.processes} processes)`;
    }
    rows.push(joined);
    rows.push(row('idle', 'RSS per joined socket (KiB)', (k) => (by(k)?.rssPerSocketBytes ?? null) === null ? null : by(k)!.rssPerSocketBytes! / 1024, (v) => num(v, 1), '≤1.5× raw'));
    rows.push(row('idle', 'joins/s', (k) => by(k)?.joinsPerSec, (v) => num(v)));
  }
  if (r.cluster.length > 0) {
    const by = (k: ServerKind) => r.cluster.find((c) => c.server === k);
    const first = r.cluster[0];
    const scen = `cluster 2 nodes, ${num(first.subscribers)} subs`;
    rows.push(textRow(scen, 'p50 / p99 ms across the hop', (k) => lat(by(k)?.window)));
    // a difference of latencies; a ratio of two of them would mean nothing
    rows.push({ ...textRow(scen, 'p50 added over one node (ms)', (k) => ms(by(k)?.hopAddedP50Ms)), target: '≤ 2 ms' });
    rows.push(row(scen, 'server CPU µs/delivery (both nodes)', (k) => by(k)?.window.cpuUsPerDelivery, (v) => num(v, 2)));
  }

  const head = ['scenario', 'figure', 'Cinder', 'raw ws', 'Socket.IO', 'Cinder/raw ws', 'Cinder/Socket.IO', 'target'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const x of rows) {
    const cells: Cell[] = [
      x.scenario,
      x.figure,
      ...COLS.map((k) => x.values[k] ?? dash),
      ratio(x.raw.cinder, x.raw.raw),
      ratio(x.raw.cinder, x.raw.socketio),
      x.target ?? '',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderTargets(rows: TargetRow[]): string {
  const lines = ['| target | value | limit | met |', '| --- | --- | --- | --- |'];
  for (const t of rows) {
    const v = t.value === null ? dash : t.unit === 'ms' ? `${ms(t.value)} ms` : `${t.value.toFixed(2)}×`;
    lines.push(`| ${t.target} | ${v} | ${t.limit} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'no'} |`);
  }
  return lines.join('\n');
}

function row(
  scenario: string,
  figure: string,
  pick: (k: ServerKind) => number | null | undefined,
  fmt: (v: number) => string,
  target?: string,
): Row {
  const values: Row['values'] = {};
  const raw: Row['raw'] = {};
  for (const k of COLS) {
    const v = pick(k);
    raw[k] = v ?? null;
    values[k] = v === null || v === undefined ? dash : fmt(v);
  }
  return { scenario, figure, values, raw, target };
}

function textRow(scenario: string, figure: string, pick: (k: ServerKind) => string): Row {
  const values: Row['values'] = {};
  for (const k of COLS) values[k] = pick(k);
  return { scenario, figure, values, raw: {} };
}
