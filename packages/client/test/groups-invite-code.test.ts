import { randomBytes, randomUUID } from 'node:crypto';
import { Aci } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { authPresentation, dayStart, receiveAuthCredentials } from '../src/crypto/group-auth.js';
import { deriveInviteKeys, GroupKeys } from '../src/crypto/group-keys.js';
import { GroupPublicParams, ServerSecretParams, ServerZkAuthOperations, AuthCredentialPresentation } from '../src/crypto/zkgroup.js';
import { encodeInviteCode, parseInviteCode, type InviteCode } from '../src/groups/invite-code.js';
import { InviteCodeError } from '../src/errors.js';
import { toBase64 } from '../src/util/bytes.js';

const sample = (): InviteCode => ({
  relayUrl: 'https://relay.example.org',
  trustRootSha256: new Uint8Array(randomBytes(32)),
  masterKey: new Uint8Array(randomBytes(32)),
  inviteId: randomBytes(16).toString('base64'),
  inviteSecret: new Uint8Array(randomBytes(32)),
  registrationToken: 'tok-0123456789',
});

const payloadOf = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

describe('invite codes', () => {
  it('round-trip in both forms', () => {
    const code = sample();
    const link = encodeInviteCode(code);
    expect(link.startsWith('https://relay.example.org/join#')).toBe(true);
    expect(parseInviteCode(link)).toEqual(code);
    const bare = encodeInviteCode(code, 'bare');
    expect(bare.startsWith('aviso1:')).toBe(true);
    expect(parseInviteCode(`  ${bare}\n`)).toEqual(code);
    const { registrationToken: _, ...noToken } = code;
    expect(parseInviteCode(encodeInviteCode(noToken))).toEqual(noToken);
  });

  it('keeps the secrets in the fragment, which browsers never send', () => {
    const link = encodeInviteCode(sample());
    expect(new URL(link).pathname).toBe('/join');
  });

  it('rejects malformed and unsupported codes with InviteCodeError', () => {
    const code = sample();
    const good = JSON.parse(Buffer.from(encodeInviteCode(code, 'bare').slice(7), 'base64url').toString()) as Record<string, unknown>;
    const bad = [
      '',
      'hello',
      'https://relay.example.org/join',
      'https://relay.example.org/other#' + payloadOf(good),
      'aviso1:not base64!',
      'aviso1:' + Buffer.from('not json').toString('base64url'),
      'aviso1:' + payloadOf({ ...good, v: 2 }),
      'aviso1:' + payloadOf({ ...good, masterKey: Buffer.alloc(31).toString('base64url') }),
      'aviso1:' + payloadOf({ ...good, inviteSecret: undefined }),
      'aviso1:' + payloadOf({ ...good, relayUrl: 'ftp://relay.example.org' }),
      'aviso1:' + payloadOf({ ...good, inviteId: Buffer.alloc(16).toString('base64') + '+' }),
      'https://evil.example/join#' + payloadOf(good), // link and payload disagree on the relay
      'aviso1:' + 'A'.repeat(5000),
    ];
    for (const text of bad) expect(() => parseInviteCode(text), text.slice(0, 60)).toThrow(InviteCodeError);
  });
});

describe('group keys and credentials', () => {
  it('derives the invite keys with HKDF and distinct labels', () => {
    const secret = randomBytes(32);
    const a = deriveInviteKeys(secret);
    expect(deriveInviteKeys(secret)).toEqual(a);
    expect(Buffer.from(a.signingKey.serialize())).not.toEqual(Buffer.from(a.relayPassword));
    expect(a.signingKey.getPublicKey().serialize()).toEqual(deriveInviteKeys(secret).signingKey.getPublicKey().serialize());
    expect(() => deriveInviteKeys(randomBytes(16))).toThrow(RangeError);
  });

  it('pseudonyms are deterministic per group and unlinkable across groups', () => {
    const id = randomUUID();
    const g1 = new GroupKeys(randomBytes(32));
    const g2 = new GroupKeys(randomBytes(32));
    expect(g1.pseudonym(id)).toBe(g1.pseudonym(id));
    expect(g1.pseudonym(id)).not.toBe(g2.pseudonym(id));
    expect(g1.accountOf(g1.pseudonym(id))).toBe(id);
    expect(g2.accountOf(g1.pseudonym(id))).toBeUndefined();
    expect(Buffer.from(g1.pseudonym(id), 'base64').length).toBe(65);
  });

  it('blobs are padded, so short and long names have the same size', () => {
    const g = new GroupKeys(randomBytes(32));
    expect(Buffer.from(g.sealJson({ v: 1, displayName: 'Al' }), 'base64').length).toBe(Buffer.from(g.sealJson({ v: 1, displayName: 'Alexandra Quintero-Villanueva' }), 'base64').length);
    expect(g.openJson(g.sealJson({ v: 1, x: 'y' }))).toEqual({ v: 1, x: 'y' });
    expect(new GroupKeys(randomBytes(32)).openJson(g.sealJson({ v: 1 }))).toBeUndefined();
  });

  it('presentations made from relay-issued credentials verify for the group and prove the pseudonym', () => {
    const server = ServerSecretParams.generate();
    const accountId = randomUUID();
    const salt = randomBytes(32);
    const today = dayStart(Date.now());
    const ops = new ServerZkAuthOperations(server);
    const credentials = [0, 1].map((d) => ({
      redemptionTime: today + d * 86_400,
      credential: toBase64(ops.issueAuthCredentialZkcWithoutPni(Aci.fromUuid(accountId), new Uint8Array(salt), today + d * 86_400).serialize()),
    }));
    const params = server.getPublicParams().serialize();
    const got = receiveAuthCredentials(params, accountId, { authCredentialSalt: toBase64(salt), credentials });
    expect([...got.keys()]).toEqual([today, today + 86_400]);
    const keys = new GroupKeys(randomBytes(32));
    const presentation = new AuthCredentialPresentation(Buffer.from(authPresentation(params, keys.secretParams, got.get(today)!), 'base64'));
    ops.verifyAuthCredentialPresentation(new GroupPublicParams(keys.publicParams), presentation);
    expect(toBase64(presentation.getUuidCiphertext().serialize())).toBe(keys.pseudonym(accountId));
    // A credential issued for another account is refused on receipt.
    expect(() => receiveAuthCredentials(params, randomUUID(), { authCredentialSalt: toBase64(salt), credentials })).toThrow();
  });
});
