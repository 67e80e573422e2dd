import { randomInt } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateKey, PublicKey, ServerCertificate } from '@signalapp/libsignal-client';
// The package's `zkgroup.d.ts` re-exports an extensionless path that `nodenext` cannot resolve; the dist entry types fine.
import { ServerSecretParams } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { z } from 'zod';

/** The relay's long-lived secrets. Losing them invalidates every pinned trust root and certificate. */
export interface RelayKeys {
  trustRoot: PublicKey;
  serverCertificate: ServerCertificate;
  /** Signs sender certificates; its public half is inside `serverCertificate`. */
  serverKey: PrivateKey;
  zkgroupSecretParams: ServerSecretParams;
  /** Serialized `ServerPublicParams`, published in `GET /v1/relay`. */
  zkgroupPublicParams: Uint8Array;
}

export const RELAY_KEYS_FILE = 'relay-keys.json';

const b64 = z.base64().min(4);
const KeysFile = z.object({
  version: z.literal(1),
  trustRootPrivate: b64,
  serverKeyId: z.int().min(0).max(0xffffffff),
  serverPrivate: b64,
  serverCertificate: b64,
  zkgroupSecretParams: b64,
});
type KeysFile = z.infer<typeof KeysFile>;

// Key ids libsignal's own tests and Signal's production use; ours must not collide with them.
const RESERVED_KEY_IDS = new Set([0xdeadc357, 0x7357c357, 2, 3]);

/**
 * Loads the relay keys from `<dataDir>/relay-keys.json`, creating them on first start. The file holds
 * the trust root's private key too (the operator runs one box); it is written with mode 0600.
 */
export function loadOrCreateRelayKeys(dataDir: string): { keys: RelayKeys; created: boolean } {
  const path = join(dataDir, RELAY_KEYS_FILE);
  if (existsSync(path)) {
    const file = KeysFile.parse(JSON.parse(readFileSync(path, 'utf8')));
    return { keys: fromFile(file), created: false };
  }
  const file = generate();
  const tmp = `${path}.${process.pid}.tmp`;
  // Durable before anything is signed with them: synced file, atomic rename, synced folder. A key
  // file lost to a crash after members pinned the trust root would lock every member out.
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path); // atomic: a crash never leaves a half-written key file
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return { keys: fromFile(file), created: true };
}

function generate(): KeysFile {
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  let keyId = randomInt(4, 0xffffffff);
  while (RESERVED_KEY_IDS.has(keyId)) keyId = randomInt(4, 0xffffffff);
  const cert = ServerCertificate.new(keyId, serverKey.getPublicKey(), trustRoot);
  return {
    version: 1,
    trustRootPrivate: toB64(trustRoot.serialize()),
    serverKeyId: keyId,
    serverPrivate: toB64(serverKey.serialize()),
    serverCertificate: toB64(cert.serialize()),
    zkgroupSecretParams: toB64(ServerSecretParams.generate().serialize()),
  };
}

function fromFile(file: KeysFile): RelayKeys {
  const trustRoot = PrivateKey.deserialize(fromB64(file.trustRootPrivate)).getPublicKey();
  const serverKey = PrivateKey.deserialize(fromB64(file.serverPrivate));
  const serverCertificate = ServerCertificate.deserialize(fromB64(file.serverCertificate));
  if (!serverCertificate.key().equals(serverKey.getPublicKey()) || serverCertificate.keyId() !== file.serverKeyId) {
    throw new Error(`${RELAY_KEYS_FILE}: server certificate does not match the server key`);
  }
  if (!trustRoot.verify(serverCertificate.certificateData(), serverCertificate.signature())) {
    throw new Error(`${RELAY_KEYS_FILE}: server certificate is not signed by the trust root`);
  }
  const zkgroupSecretParams = new ServerSecretParams(fromB64(file.zkgroupSecretParams));
  return {
    trustRoot,
    serverCertificate,
    serverKey,
    zkgroupSecretParams,
    zkgroupPublicParams: zkgroupSecretParams.getPublicParams().serialize(),
  };
}

function toB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function fromB64(s: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
