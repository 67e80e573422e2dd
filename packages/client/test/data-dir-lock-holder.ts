// A second process for data-dir-lock.test.ts: `data-dir-lock-holder.ts <dataDir>` opens the SDK on
// the folder, prints "held", and closes when its stdin ends (or dies by signal).
import { AvisoClient } from '@aviso/client';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: data-dir-lock-holder.ts <dataDir>');
const client = await AvisoClient.open({ dataDir });
process.stdout.write('held\n');
process.stdin.resume();
process.stdin.once('end', () => void client.close().then(() => process.stdout.write('closed\n')));
