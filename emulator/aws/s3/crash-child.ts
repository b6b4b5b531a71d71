/**
 * Test fixture: an emulator in its own process persisting to `argv[2]`, so a test can SIGKILL it and
 * check that every acknowledged S3 write survived. Prints `READY <port>` once listening.
 */
import { startEmulator } from '../index';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-child.ts <data-dir>');
const emu = await startEmulator({ port: 0, dataDir });
process.stdout.write(`READY ${emu.port}\n`);
process.on('SIGTERM', () => void emu.stop().then(() => process.exit(0)));
