// Runs a long-lived command (the demo server) in the foreground until Ctrl-C. The terminal sends SIGINT to the
// whole process group, so the child gets it directly; this process only waits for the child to finish its own
// shutdown, and exits as it does. Through `pnpm run` (and the `sh -c` it starts), an interrupted server was
// reported as a failed script: ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL, exit 130.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** The child's exit status: its code, or 128 + the signal's number if a signal ended it (as a shell reports it). */
export function foreground(cmd, args, options) {
  const child = spawn(cmd, args, { stdio: 'inherit', ...options });
  // A signal sent to this process alone (kill PID, a supervisor) is passed on; the child shuts down once.
  const relay = (signal) => child.kill(signal);
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGINT', relay);
      process.off('SIGTERM', relay);
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}
