// CPU time of other processes, for benches whose server does part of its work elsewhere: a Core
// on PostgreSQL spends CPU in the database's backends too, and that belongs to its cost per job.
// Linux only (/proc); elsewhere the figure is NaN and the bench says so.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Summed user+system CPU (ms) of every live process whose command name is `name`. */
export function cpuMsOfProcessesNamed(name: string): number {
  let ticks = 0;
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return NaN;
  }
  for (const pid of dirs) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (stat.slice(open + 1, close) !== name) continue;
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return (ticks / TICKS_PER_SECOND) * 1000;
}
