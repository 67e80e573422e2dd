import { describe, expect, it } from 'vitest';
import { encodeInviteCode, parseInviteCode } from '@aviso/client';
import { pastedInviteCode } from '../src/pasted-code.js';

const code = encodeInviteCode({
  relayUrl: 'https://relay.example.org',
  trustRootSha256: new Uint8Array(32).fill(1),
  masterKey: new Uint8Array(32).fill(2),
  inviteId: Buffer.alloc(16, 3).toString('base64'),
  inviteSecret: new Uint8Array(32).fill(4),
  registrationToken: 'tok-12345678',
});

describe('an invite code as people paste it', () => {
  it('joins the lines of a link wrapped by a chat app, and the spec parser stays strict', () => {
    const wrapped = `  ${code.slice(0, 40)}\r\n${code.slice(40, 90)} \n\t${code.slice(90)}\n`;
    expect(() => parseInviteCode(wrapped)).toThrow(/base64url|not an invite code/); // the SDK keeps rejecting whitespace inside
    expect(pastedInviteCode(wrapped)).toBe(code);
    expect(parseInviteCode(pastedInviteCode(wrapped)).registrationToken).toBe('tok-12345678');
  });

  it('drops only ASCII whitespace: a code damaged in another way still fails', () => {
    const damaged = `${code.slice(0, 60)}\u00a0${code.slice(60)}`; // a no-break space is not whitespace we forgive
    expect(() => parseInviteCode(pastedInviteCode(damaged))).toThrow();
  });
});
