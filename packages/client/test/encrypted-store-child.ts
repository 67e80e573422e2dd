// A second process for encrypted-store.test.ts: `encrypted-store-child.ts <dataDir> <passphrase>`
// opens the SDK on the folder with the passphrase (AVISO_TEST_CRASH_AT may kill it mid-conversion),
// prints "opened" and closes.
import { AvisoClient } from '@aviso/client';

const [dataDir, passphrase] = process.argv.slice(2);
if (dataDir === undefined || passphrase === undefined) throw new Error('usage: encrypted-store-child.ts <dataDir> <passphrase>');
const client = await AvisoClient.open({ dataDir, passphrase });
await client.close();
process.stdout.write('opened\n');
