export * from './interfaces.js';
export { MemberBlobOverlay, type MemberBlobs, type GroupBlobs, type GroupBlobChanges } from './member-blobs.js';
export { MemoryStore } from './memory/memory-store.js';
export { SqliteStore, SQLITE_FILE_NAME } from './sqlite/sqlite-store.js';
export { Zone } from './zone.js';
export { signalStores, addressKey, type SignalStores, type LocalKeys } from './libsignal-adapters.js';
export { nextIdentity, trustedForSending, sameBytes } from './trust.js';
