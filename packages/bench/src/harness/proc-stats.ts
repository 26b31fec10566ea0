import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Server cost read straight from /proc, so every server is measured the same
 * way no matter what it reports about itself. Descendants are included: a
 * server that farms work out to child processes must not look cheaper.
 */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatLine {
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may contain spaces and parentheses; fields resume after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, ppid field 4
  return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** pid plus all its living descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (!Number.isInteger(p)) continue;
    const st = readStat(p);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(p);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by the processes and their descendants. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const root of pids) for (const p of processTree(root)) ticks += readStat(p)?.cpuTicks ?? 0;
  return ticks / clockTicks();
}

/** Resident set size in bytes of the processes and their descendants. */
export function rssBytes(pids: number[]): number {
  let kb = 0;
  for (const root of pids) {
    for (const p of processTree(root)) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        if (m) kb += Number(m[1]);
      } catch {
        // the process ended between listing and reading
      }
    }
  }
  return kb * 1024;
}

export interface FdLimit {
  soft: number;
  hard: number;
}

export function openFileLimit(): FdLimit {
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  const num = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineTicks(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  // cpu user nice system idle iowait irq softirq steal ...
  return line.trim().split(/\s+/).slice(1).map(Number);
}

export function machineBusySeconds(): number {
  const f = machineTicks();
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - f[4]) / clockTicks();
}

/** Time the hypervisor ran something else on our virtual CPUs. */
export function machineStealSeconds(): number {
  return (machineTicks()[7] ?? 0) / clockTicks();
}

/**
 * CPU the rest of the machine used, by everything outside this bench's own
 * process tree. On a shared box this tells whether a window's latency and
 * rates can be trusted; CPU per delivery is read per process and is not
 * affected the same way.
 */
export class ForeignCpu {
  private readonly busy0 = machineBusySeconds();
  private readonly steal0 = machineStealSeconds();
  private readonly own0 = cpuSeconds([process.pid]);
  private readonly t0 = Date.now();

  /** average cores used by others since construction, steal included */
  cores(): number {
    const busy = machineBusySeconds() - this.busy0;
    const own = cpuSeconds([process.pid]) - this.own0;
    return Math.max(0, busy - own) / this.seconds();
  }

  /**
   * Of that, the cores the hypervisor gave to other guests. On a VM it
   * rises after a while of sustained load, and latency with it.
   */
  stealCores(): number {
    return (machineStealSeconds() - this.steal0) / this.seconds();
  }

  private seconds(): number {
    return Math.max(0.001, (Date.now() - this.t0) / 1000);
  }
}
