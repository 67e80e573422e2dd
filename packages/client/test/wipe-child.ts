// A second process for wipe.test.ts: `wipe-child.ts <dataDir> <passphrase> [keyFile]` opens the
// SDK on the folder (with the key file when given, else the passphrase) and wipes it;
// AVISO_TEST_CRASH_AT=wipe:<step> kills it part-way. Prints "wiped".
import { AvisoClient } from '@aviso/client';

const [dataDir, passphrase, keyFile] = process.argv.slice(2);
if (dataDir === undefined || passphrase === undefined) throw new Error('usage: wipe-child.ts <dataDir> <passphrase> [keyFile]');
const client = await AvisoClient.open(keyFile === undefined ? { dataDir, passphrase } : { dataDir, keyFile });
await client.wipe();
process.stdout.write('wiped\n');
