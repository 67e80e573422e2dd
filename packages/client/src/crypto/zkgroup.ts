// The package's `zkgroup.d.ts` re-exports an extensionless path that `nodenext` cannot resolve;
// the dist entry types fine and is the same module at runtime.
export {
  AuthCredentialPresentation,
  AuthCredentialWithPni,
  AuthCredentialWithPniResponse,
  ClientZkAuthOperations,
  ClientZkGroupCipher,
  GroupMasterKey,
  GroupPublicParams,
  GroupSecretParams,
  GroupSendDerivedKeyPair,
  GroupSendEndorsement,
  GroupSendEndorsementsResponse,
  GroupSendFullToken,
  ServerPublicParams,
  ServerSecretParams,
  ServerZkAuthOperations,
  UuidCiphertext,
} from '@signalapp/libsignal-client/dist/zkgroup/index.js';
