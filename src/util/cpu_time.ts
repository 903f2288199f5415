/** CPU milliseconds of this process so far, every thread (user + system; `process.cpuUsage`). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * A signal that reads as aborted once the process's CPU time passes `cpuDeadline` (ms) or `outer`
 * is aborted (its reason then, else 'timeout'). Bounding code reads it very often and a CPU-time
 * query is a system call, so the CPU time is read again only after 10 ms of wall time (CPU time
 * advances no faster than wall time on the one thread that bounds, so it overshoots by about that
 * much at most).
 */
export function cpuDeadlineSignal(cpuDeadline: number, outer?: AbortSignal): AbortSignal {
  let checkedAt = -Infinity, passed = false;
  return {
    get aborted() {
      if (outer?.aborted) return true;
      if (passed) return true;
      const now = performance.now();
      if (now - checkedAt >= 10) { checkedAt = now; passed = cpuMs() >= cpuDeadline; }
      return passed;
    },
    get reason() { return outer?.aborted ? outer.reason : 'timeout'; },
  } as AbortSignal;
}
