import { Emulator } from './server.js';

/**
 * `npm run emulator`: the API Entrepôt emulator alone, to try a workflow offline.
 * Environment: EMULATOR_PORT (default 8787), EMULATOR_TOKEN (a bearer token it accepts, default
 * `local-token`), EMULATOR_CHECK_MS (check duration, default 2000), EMULATOR_DATA_DIR.
 */
const port = Number(process.env.EMULATOR_PORT ?? 8787);
const token = process.env.EMULATOR_TOKEN ?? 'local-token';
const emulator = new Emulator({
  port,
  staticTokens: [token],
  clients: [{ id: 'local-client', secret: 'local-secret' }],
  users: [{ username: 'local-user', password: 'local-password' }],
  checkDurationMs: Number(process.env.EMULATOR_CHECK_MS ?? 2000),
  dataDir: process.env.EMULATOR_DATA_DIR,
});
await emulator.start();
console.log(`API Entrepôt emulator listening
  api-url:   ${emulator.apiUrl}
  token-url: ${emulator.tokenUrl}
  datastore: ${emulator.datastore}
  token:     ${token}   (or client-id local-client / client-secret local-secret,
                         or username local-user / password local-password)
Ctrl-C to stop.`);
const stop = async () => {
  await emulator.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
