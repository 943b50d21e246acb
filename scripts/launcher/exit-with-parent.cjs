// Preloaded into every process the launcher starts (NODE_OPTIONS=--require …), and so into the processes those
// start (`next dev` runs its server in a second process): a process whose parent is gone exits instead of living on
// as an orphan that keeps its port, so that even a launcher killed with SIGKILL leaves nothing behind.
// Polling is the portable way: Linux's PR_SET_PDEATHSIG is not reachable from Node.js, and macOS has none.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) process.exit(129);
}, 500);
watch.unref();
