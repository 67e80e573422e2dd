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
import { CliError, EXIT_FAILURE, EXIT_USAGE, tlsUntrusted, type ErrorContext } from './cli-error.js';
import { say } from './lang.js';

export { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError, type ErrorContext } from './cli-error.js';

/**
 * Maps anything thrown to a CliError; SDK errors a user can cause get a plain sentence, never a stack.
 * This module loads the SDK (its error classes), so `runCli` imports it only when a command failed
 * with something other than a CliError.
 */
export function toCliError(err: unknown, ctx: ErrorContext): CliError {
  if (err instanceof CliError) return err;
  const relay = ctx.relayUrl ? ` at ${ctx.relayUrl}` : '';
  if (err instanceof NotRegisteredError) {
    return new CliError('NOT_REGISTERED', `profile "${ctx.profile}" has no account yet — run \`aviso register <relay-url> <token>\` or \`aviso join <invite-code>\``);
  }
  if (err instanceof AlreadyRegisteredError) {
    return new CliError('ALREADY_REGISTERED', `profile "${ctx.profile}" is already registered (account ${err.accountId}) — use --profile NAME for another identity`);
  }
  if (err instanceof InviteCodeError) {
    return new CliError('INVALID_INVITE', `that invite code does not work: ${err.message} — check it was copied whole, or ask for a new one`);
  }
  if (err instanceof DisplayNameError) {
    return new CliError('INVALID_NAME', `${err.message} — type it again without that character (a name copied from elsewhere can carry invisible ones)`, EXIT_USAGE);
  }
  if (err instanceof RelayFingerprintMismatchError) {
    return new CliError('FINGERPRINT_MISMATCH', `the relay${relay} has another fingerprint than the one you checked, so nothing was registered — stop, and ask your organiser or the relay operator for the right address`);
  }
  if (err instanceof RelayRequestError) return relayError(err, relay, ctx);
  if (err instanceof UntrustedIdentityError) {
    const id = err.accountId.slice(0, 8);
    return new CliError('IDENTITY_CHANGED', `the safety number with ${err.accountId} changed, so nothing was sent to them — compare it with \`aviso verify ${id}\`, then run \`aviso accept ${id}\``);
  }
  if (err instanceof GroupWithheldError) {
    return new CliError('GROUP_WITHHELD', `the relay${relay} is hiding changes to this group: a member's message names version ${err.namedVersion}, the relay shows only ${err.localVersion}; nothing is sent to the group until it serves them (someone may have been removed) — tell your organisers`);
  }
  if (err instanceof IdentityMismatchError) {
    const what = err.direction === 'sending' ? 'nothing was sent to them' : 'their message was dropped';
    return new CliError('IDENTITY_MISMATCH', `the relay${relay} gave a key for member ${err.accountId} that is not the one in the group's signed history (${err.reason}), so ${what} — the relay may be trying to read your group; tell your organisers`);
  }
  if (err instanceof MessageTooLargeError) return new CliError('TOO_LARGE', `${err.message} — shorten it`, EXIT_USAGE);
  if (err instanceof GroupVerificationError) {
    if (err.reason === 'not-a-member') return new CliError('NOT_A_MEMBER', 'you are not a member of that group (removed, left, or still waiting for approval)');
    // Since protocol 2 the relay verifies every change before storing it, so one that fails here means
    // the relay (or whoever runs it) misbehaved: the operator is not the one to tell.
    return new CliError(
      'GROUP_UNVERIFIED',
      `the relay${relay} served a group change that no honest relay would store (${err.reason}); the group keeps its last verified state — tell your organisers through another channel and do not rely on this relay for this group`,
    );
  }
  if (err instanceof GroupRollbackError || err instanceof GroupForkError) {
    return new CliError('GROUP_TAMPERED', `the relay${relay} served an inconsistent group history (${err.message}) — do not trust it; tell your organisers`);
  }
  if (err instanceof DataDirLockedError) {
    // The profile lock is taken first, so this holder is not an `aviso` command: some other SDK process.
    return new CliError('PROFILE_BUSY', `profile "${ctx.profile}" is in use by another program (${err.dataDir}) — stop it first, or use another --profile`);
  }
  const store = storeError(err, ctx);
  if (store) return store;
  if (err instanceof ConnectedElsewhereError) {
    return new CliError('CONNECTED_ELSEWHERE', 'another process connected with this same identity and took over — run one `aviso` per profile at a time');
  }
  if (err instanceof ClientClosedError) return new CliError('CLOSED', 'stopped before the command finished');
  if (err instanceof RangeError) return new CliError('USAGE', err.message, EXIT_USAGE);
  const message = err instanceof Error ? err.message : String(err);
  return new CliError('INTERNAL', `unexpected error: ${message} — set AVISO_DEBUG=1 for details and report it`, EXIT_FAILURE, { cause: err });
}

function relayError(err: RelayRequestError, relay: string, ctx: ErrorContext): CliError {
  switch (err.code) {
    case 'NETWORK_ERROR':
      return new CliError('RELAY_DOWN', `cannot reach the relay${relay} — is it running and is the address right? try again later`, EXIT_FAILURE, { cause: err });
    case 'TIMEOUT':
      return new CliError('RELAY_DOWN', `the relay${relay} did not answer in time — try again later`, EXIT_FAILURE, { cause: err });
    case 'TLS_UNTRUSTED':
      return tlsUntrusted(ctx, err);
    case 'BAD_RESPONSE':
      return new CliError('RELAY_BAD_RESPONSE', `the address${relay} does not answer like an Aviso relay — check the address with your organiser`, EXIT_FAILURE, { cause: err });
    case 'INVALID_TOKEN':
      return new CliError('INVALID_TOKEN', 'the relay refused the registration token (unknown, expired or used up) — ask the relay operator for a new one');
    case 'INVITE_INVALID':
      return new CliError('INVITE_EXPIRED', 'the invite is expired, used up or revoked — ask the organiser for a new invite');
    case 'RATE_LIMITED': {
      const after = err.details?.['retryAfterSeconds'];
      return new CliError('RATE_LIMITED', `the relay is rate-limiting this account — try again${typeof after === 'number' ? ` in ${after} s` : ' later'}`);
    }
    case 'NOT_A_MEMBER':
      return new CliError('NOT_A_MEMBER', 'the relay says you are not a member of that group (removed or not yet approved)');
    case 'FORBIDDEN':
      return new CliError('FORBIDDEN', `the relay refused: ${err.message} — only an admin of the group can do that`);
    case 'UNAUTHORIZED':
      return new CliError('UNAUTHORIZED', `the relay${relay} does not know this account (was its data reset?) — register this profile again with a new token`);
    case 'UNSUPPORTED_VERSION':
      return new CliError('UNSUPPORTED_VERSION', `the relay${relay} speaks another protocol version (${err.message}) — update aviso or the relay`);
    default:
      return new CliError(`RELAY_${err.code}`, `the relay${relay} refused the request: ${err.message} (${err.code})${err.retryable ? ' — try again' : ''}`);
  }
}

/** The encrypted store's errors (docs/sdk.md "Encryption at rest"), said for the profile. */
function storeError(err: unknown, ctx: ErrorContext): CliError | undefined {
  const p = `profile "${ctx.profile}"`;
  if (err instanceof PassphraseConflictError) return new CliError('PASSPHRASE_CONFLICT', say('device.duress.conflict', { profile: ctx.profile }));
  if (err instanceof WrongPassphraseError) return new CliError('WRONG_PASSPHRASE', `that is not the passphrase of ${p} — nothing was read or changed; try again`);
  if (err instanceof PassphraseRequiredError) {
    if (err.needs === 'key-file') return new CliError('PASSPHRASE_REQUIRED', say('device.keyFile.required', { profile: ctx.profile }));
    return new CliError('PASSPHRASE_REQUIRED', `${p} is protected by a passphrase — run this at a terminal to be asked for it, or give --passphrase-file PATH (or AVISO_PASSPHRASE_FILE)`);
  }
  if (err instanceof KeyFileError) return new CliError('KEY_FILE_INVALID', `${err.message} — check the path, or use the key file this profile was made with`);
  if (err instanceof StoreWipedError) return new CliError('STORE_WIPED', `${p} was being wiped when it stopped: nothing in it can be decrypted any more — run \`aviso wipe --profile ${ctx.profile}\` to remove what is left`);
  if (err instanceof StoreCorruptError) return new CliError('STORE_CORRUPT', `the store of ${p} is damaged (${err.message}) — nothing was changed; restore the folder from a copy, or wipe it and join again`);
  if (err instanceof DiskFullError) return new CliError('DISK_FULL', `the disk is full — nothing was changed and ${p} still opens as before; free some space and try again`);
  if (err instanceof NotPassphraseProtectedError) {
    return new CliError('NOT_PASSPHRASE_PROTECTED', err.protection === 'none' ? `${p} has no passphrase yet — set one with \`aviso passphrase set\`` : `${p} is encrypted with a key file, not a passphrase`);
  }
  return undefined;
}
