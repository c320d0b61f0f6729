// `--sql-times` in the load bench: wall time inside each SQLite statement (better-sqlite3's
// run/get/all/iterate, timed with hrtime) while the agents run, printed per claim+submit. The
// timer itself costs ~1 µs a call, so read the figures against each other, not as CPU.
// Why: the job loop's cost is spread over ~25 statements and a COMMIT whose price is the WAL
// frames it writes; this says which ones, on this machine, without a profiler's sampling.
import type { Database } from 'better-sqlite3';

interface Timing {
  calls: number;
  ns: bigint;
}

export function timeStatements(db: Database) {
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  const methods = ['run', 'get', 'all', 'iterate'] as const;
  const originals = methods.map((m) => proto[m] as (...args: unknown[]) => unknown);
  const timings = new Map<string, Timing>();
  let on = false;
  methods.forEach((m, i) => {
    proto[m] = function (this: { source: string }, ...args: unknown[]) {
      if (!on) return originals[i]!.apply(this, args);
      const start = process.hrtime.bigint();
      try {
        return originals[i]!.apply(this, args);
      } finally {
        const key = this.source.replace(/\s+/g, ' ').slice(0, 100);
        const t = timings.get(key) ?? { calls: 0, ns: 0n };
        t.calls++;
        t.ns += process.hrtime.bigint() - start;
        timings.set(key, t);
      }
    };
  });
  return {
    start: () => (on = true),
    /** Stops timing, restores the methods and prints the top statements per cycle. */
    report(cycles: number, top = 25) {
      on = false;
      methods.forEach((m, i) => (proto[m] = originals[i]));
      const rows = [...timings].sort((a, b) => Number(b[1].ns - a[1].ns));
      const total = rows.reduce((sum, [, t]) => sum + Number(t.ns), 0);
      console.log(
        `\nSQLite statements during the load: ${(total / 1e3 / cycles).toFixed(0)} µs per claim+submit (wall, timer included)`,
      );
      for (const [sql, t] of rows.slice(0, top)) {
        const perCycle = Number(t.ns) / 1e3 / cycles;
        const perCall = Number(t.ns) / 1e3 / t.calls;
        console.log(
          `${perCycle.toFixed(1).padStart(7)} µs  ${(t.calls / cycles).toFixed(2).padStart(5)} × ${perCall.toFixed(1).padStart(6)} µs  ${sql}`,
        );
      }
    },
  };
}
