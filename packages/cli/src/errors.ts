import {
  AlreadyRegisteredError,
  ClientClosedError,
  ConnectedElsewhereError,
  DataDirLockedError,
  DiskFullError,
  DisplayNameError,
  GroupForkError,
  GroupRollbackError,
  GroupVerificationError,
  GroupWithheldError,
  IdentityMismatchError,
  InviteCodeError,
  KeyFileError,
  MessageTooLargeError,
  NotPassphraseProtectedError,
  NotRegisteredError,
  PassphraseConflictError,
  PassphraseRequiredError,
  RelayFingerprintMismatchError,
  RelayRequestError,
  StoreCorruptError,
  StoreWipedError,
  UntrustedIdentityError,
  WrongPassphraseError,
} from '@aviso/client';
import { CliError, cliError, EXIT_FAILURE, EXIT_USAGE, tlsUntrusted, type ErrorContext } from './cli-error.js';
import type { Params } from './lang.js';

export { CliError, cliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, humanMessage, usageError, type ErrorContext } from './cli-error.js';

/**
 * Maps anything thrown to a CliError; SDK errors a user can cause get a plain sentence, never a stack.
 * The sentences are catalog messages (packages/i18n/src/en/cli-errors.ts): English in `message` and
 * `--json`, the terminal's language on stderr. This module loads the SDK (its error classes), so
 * `runCli` imports it only when a command failed with something other than a CliError.
 */
export function toCliError(err: unknown, ctx: ErrorContext): CliError {
  if (err instanceof CliError) return err;
  // "the relay at URL" when the URL is known, else "the relay": a select in each message.
  const relay: Params = ctx.relayUrl ? { relayKnown: 'yes', relay: ctx.relayUrl } : { relayKnown: 'no', relay: '' };
  const profile = ctx.profile;
  if (err instanceof NotRegisteredError) return cliError('NOT_REGISTERED', 'cli.error.notRegistered', { profile });
  if (err instanceof AlreadyRegisteredError) return cliError('ALREADY_REGISTERED', 'cli.error.alreadyRegistered', { profile, account: err.accountId });
  if (err instanceof InviteCodeError) return cliError('INVALID_INVITE', 'cli.error.invalidInvite', { reason: err.message });
  if (err instanceof DisplayNameError) return cliError('INVALID_NAME', 'cli.error.invalidName', { reason: err.message }, EXIT_USAGE);
  if (err instanceof RelayFingerprintMismatchError) return cliError('FINGERPRINT_MISMATCH', 'cli.error.fingerprintMismatch', relay);
  if (err instanceof RelayRequestError) return relayError(err, relay, ctx);
  if (err instanceof UntrustedIdentityError) return cliError('IDENTITY_CHANGED', 'cli.error.identityChanged', { account: err.accountId, short: err.accountId.slice(0, 8) });
  if (err instanceof GroupWithheldError) return cliError('GROUP_WITHHELD', 'cli.error.groupWithheld', { ...relay, named: err.namedVersion, local: err.localVersion });
  if (err instanceof IdentityMismatchError) {
    return cliError('IDENTITY_MISMATCH', 'cli.error.identityMismatch', { ...relay, account: err.accountId, reason: err.reason, direction: err.direction === 'sending' ? 'sending' : 'receiving' });
  }
  if (err instanceof MessageTooLargeError) return cliError('TOO_LARGE', 'cli.error.tooLarge', { reason: err.message }, EXIT_USAGE);
  if (err instanceof GroupVerificationError) {
    if (err.reason === 'not-a-member') return cliError('NOT_A_MEMBER', 'cli.error.notAMember');
    // Since protocol 2 the relay verifies every change before storing it, so one that fails here means
    // the relay (or whoever runs it) misbehaved: the operator is not the one to tell.
    return cliError('GROUP_UNVERIFIED', 'cli.error.groupUnverified', { ...relay, reason: err.reason });
  }
  if (err instanceof GroupRollbackError || err instanceof GroupForkError) return cliError('GROUP_TAMPERED', 'cli.error.groupTampered', { ...relay, reason: err.message });
  if (err instanceof DataDirLockedError) {
    // The profile lock is taken first, so this holder is not an `aviso` command: some other SDK process.
    return cliError('PROFILE_BUSY', 'cli.error.profileInUse', { profile, dir: err.dataDir });
  }
  const store = storeError(err, ctx);
  if (store) return store;
  if (err instanceof ConnectedElsewhereError) return cliError('CONNECTED_ELSEWHERE', 'cli.error.connectedElsewhere');
  if (err instanceof ClientClosedError) return cliError('CLOSED', 'cli.error.closed');
  if (err instanceof RangeError) return new CliError('USAGE', err.message, EXIT_USAGE);
  const message = err instanceof Error ? err.message : String(err);
  return cliError('INTERNAL', 'cli.error.internal', { reason: message }, EXIT_FAILURE, { cause: err });
}

function relayError(err: RelayRequestError, relay: Params, ctx: ErrorContext): CliError {
  switch (err.code) {
    case 'NETWORK_ERROR':
      return cliError('RELAY_DOWN', 'cli.error.relayDown', relay, EXIT_FAILURE, { cause: err });
    case 'TIMEOUT':
      return cliError('RELAY_DOWN', 'cli.error.relayTimeout', relay, EXIT_FAILURE, { cause: err });
    case 'TLS_UNTRUSTED':
      return tlsUntrusted(ctx, err);
    case 'BAD_RESPONSE':
      return cliError('RELAY_BAD_RESPONSE', 'cli.error.relayBadResponse', relay, EXIT_FAILURE, { cause: err });
    case 'INVALID_TOKEN':
      return cliError('INVALID_TOKEN', 'cli.error.invalidToken');
    case 'INVITE_INVALID':
      return cliError('INVITE_EXPIRED', 'cli.error.inviteExpired');
    case 'RATE_LIMITED': {
      const after = err.details?.['retryAfterSeconds'];
      return cliError('RATE_LIMITED', 'cli.error.rateLimited', { after: typeof after === 'number' ? after : 'later' });
    }
    case 'NOT_A_MEMBER':
      return cliError('NOT_A_MEMBER', 'cli.error.relayNotAMember');
    case 'FORBIDDEN':
      return cliError('FORBIDDEN', 'cli.error.forbidden', { reason: err.message });
    case 'UNAUTHORIZED':
      return cliError('UNAUTHORIZED', 'cli.error.unauthorized', relay);
    case 'UNSUPPORTED_VERSION':
      return cliError('UNSUPPORTED_VERSION', 'cli.error.unsupportedVersion', { ...relay, reason: err.message });
    default:
      return cliError(`RELAY_${err.code}`, 'cli.error.relayRefused', { ...relay, reason: err.message, code: err.code, retry: err.retryable ? 'yes' : 'no' });
  }
}

/** The encrypted store's errors (docs/sdk.md "Encryption at rest"), said for the profile. */
function storeError(err: unknown, ctx: ErrorContext): CliError | undefined {
  const profile = ctx.profile;
  if (err instanceof PassphraseConflictError) return cliError('PASSPHRASE_CONFLICT', 'device.duress.conflict', { profile });
  if (err instanceof WrongPassphraseError) return cliError('WRONG_PASSPHRASE', 'cli.error.wrongPassphrase', { profile });
  if (err instanceof PassphraseRequiredError) {
    if (err.needs === 'key-file') return cliError('PASSPHRASE_REQUIRED', 'device.keyFile.required', { profile });
    return cliError('PASSPHRASE_REQUIRED', 'cli.error.passphraseRequired', { profile });
  }
  if (err instanceof KeyFileError) return cliError('KEY_FILE_INVALID', 'cli.error.keyFileInvalid', { reason: err.message });
  if (err instanceof StoreWipedError) return cliError('STORE_WIPED', 'cli.error.storeWiped', { profile });
  if (err instanceof StoreCorruptError) return cliError('STORE_CORRUPT', 'cli.error.storeCorrupt', { profile, reason: err.message });
  if (err instanceof DiskFullError) return cliError('DISK_FULL', 'cli.error.diskFull', { profile });
  if (err instanceof NotPassphraseProtectedError) {
    return cliError('NOT_PASSPHRASE_PROTECTED', err.protection === 'none' ? 'cli.error.noPassphraseYet' : 'cli.error.keyFileNotPassphrase', { profile });
  }
  return undefined;
}
