/** CPU milliseconds of this process so far, every thread (user + system; `process.cpuUsage`). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
