/**
 * The demo's port: PORT, or 4173 (Vite's preview default). Checked before the build, so that a second
 * `npm run demo` says at once which port is taken and how to choose another, not after half a minute of building.
 */
import { createServer } from 'node:net';

export const DEFAULT_PORT = 4173;

/** PORT as a port number. @throws Error naming the value when it is not an integer in [1, 65535]. */
export function demoPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT=${raw} is not a port number (1-65535)`);
  return port;
}

/** @throws Error saying that `port` is taken and how to pick another, when something listens on it. */
export async function checkPortFree(port: number, host = 'localhost'): Promise<void> {
  const probe = createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    probe.once('error', resolve);
    probe.listen({ port, host, exclusive: true }, () => resolve(undefined));
  });
  await new Promise((r) => probe.close(r));
  if (error?.code === 'EADDRINUSE') {
    throw new Error(`port ${port} is already in use (another \`npm run demo\`?). Stop that server, or choose another port: PORT=${port + 1} npm run demo`);
  }
  if (error) throw new Error(`cannot listen on ${host}:${port}: ${error.message}`);
}
