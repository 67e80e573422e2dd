import { readFileSync } from 'node:fs';
import { decodeServerFrame, ROUTES, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';
import { expected, loadVectors, outcome } from '@aviso/protocol/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createHash } from 'node:crypto';
import { canonicalJson, GROUP_HEADERS, GroupChange, JoinInfoResponse } from '@aviso/protocol';
import { GroupMasterKey, GroupSecretParams } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { upgradeCredentials } from '../src/auth-header.js';
import { verifySignature } from '../src/services/groups/signatures.js';
import { createLogger, startServer, type ServerHandle } from '../src/index.js';
import { blob, errorCode, groupUser, newInvite, TestGroup } from './group-helpers.js';
import { LogSink, registerUser, testConfig, testRelay, type TestRelay, type TestUser } from './helpers.js';

/** The protocol's shared vectors, run against the relay's real edges (HTTP routes and the WebSocket gateway). */
describe('client frame vectors through the WebSocket gateway', () => {
  let relay: ServerHandle;
  let ws: WebSocket;
  const inbox: ServerFrame[] = [];
  const waiters: (() => void)[] = [];
  const next = async (): Promise<ServerFrame> => {
    while (inbox.length === 0) await new Promise<void>((r) => waiters.push(r));
    return inbox.shift()!;
  };

  let user: TestUser;
  beforeAll(async () => {
    relay = await startServer(testConfig(), { logger: createLogger('debug', new LogSink().stream), sweepIntervalMs: 0 });
    user = await registerUser({ ctx: relay.context, app: relay.app });
  });
  afterAll(() => relay.close());

  // A fresh connection per vector: the relay closes a socket after 10 malformed frames (1008).
  beforeEach(async () => {
    inbox.length = 0;
    ws = new WebSocket(`${relay.url.replace('http', 'ws')}${ROUTES.websocket}`, [WS_SUBPROTOCOL], { headers: { authorization: user.auth } });
    ws.on('message', (data) => {
      inbox.push(decodeServerFrame(data.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    await new Promise((r) => ws.once('open', r));
    expect(await next()).toEqual({ type: 'queue.empty' });
  });
  afterEach(() => ws.close());

  let syncId = 1_000_000;
  for (const v of loadVectors('client-frames.json', readFileSync)) {
    test(v.comment, async () => {
      ws.send(v.input);
      // A ping after the vector marks where the relay's answer to the vector ends.
      const marker = syncId++;
      ws.send(JSON.stringify({ type: 'ping', id: marker }));
      const answers: ServerFrame[] = [];
      for (let f = await next(); !(f.type === 'pong' && f.id === marker); f = await next()) answers.push(f);
      const errors = answers.filter((f) => f.type === 'error');
      if (v.valid) expect(errors).toEqual([]);
      else expect(errors.map((f) => f.type === 'error' && f.code)).toEqual([v.errorCode]);
    });
  }
});

describe('HTTP body vectors through the routes', () => {
  let relay: TestRelay;
  let user: TestUser;
  beforeEach(async () => {
    relay = await testRelay(); // closed by the helpers after each test
    user = await registerUser(relay);
  });

  const routes = {
    RegisterRequest: () => ({ method: 'POST' as const, url: ROUTES.accounts, headers: {} }),
    SetKeysRequest: () => ({ method: 'PUT' as const, url: ROUTES.keys, headers: { authorization: user.auth } }),
    SendMessagesRequest: () => ({ method: 'PUT' as const, url: ROUTES.messages.path(user.accountId), headers: { authorization: user.auth } }),
  };
  for (const v of loadVectors('http-bodies.json', readFileSync)) {
    test(v.comment, async () => {
      const res = await relay.app.inject({ ...routes[v.schema](), payload: v.input as object });
      const code = res.statusCode >= 400 ? res.json<{ error: { code: string } }>().error.code : 'ok';
      // Valid shapes pass the schema; the relay may still refuse them for what they mean (filler
      // signatures, an unknown token, a registration id that is not the recipient's), never as BAD_REQUEST.
      if (v.valid) expect(code).not.toBe('BAD_REQUEST');
      else expect(code).toBe(v.errorCode);
    });
  }
});

describe('WebSocket upgrade credential vectors', () => {
  for (const v of loadVectors('ws-auth.json', readFileSync)) {
    test(v.comment, () => {
      expect(outcome(() => upgradeCredentials(v.protocols, v.authorization))).toBe(expected(v));
      if (v.valid) expect(upgradeCredentials(v.protocols, v.authorization)).toEqual(v.credentials);
    });
  }
});

describe('group crypto vectors as the relay checks them', () => {
  for (const v of loadVectors('group-crypto.json', readFileSync)) {
    if (v.kind === 'change-hash') {
      // The relay stores canonicalJson(change) and hashes the stored text for the next prevHash.
      test(v.comment, () => expect(createHash('sha256').update(canonicalJson(GroupChange.parse(v.change)), 'utf8').digest('base64')).toBe(v.hash));
    } else if (v.kind === 'change-signing-message') {
      test(v.comment, () => {
        const change = GroupChange.parse(v.change);
        const action = change.actions[0]!;
        if (!('signingKey' in action) || action.type === 'createInvite') return;
        expect(verifySignature(action.signingKey, v.message, change.signature)).toBe(true);
        expect(verifySignature(action.signingKey, v.message.replace(v.groupId, '0'.repeat(64)), change.signature)).toBe(false);
      });
    }
  }
});

describe('invite code and group blob vectors as the relay serves them', () => {
  // invite-code.json and group-blobs.json share one master key: the vector group, with a vector
  // attributes blob, and the vector invite, reached by its join-info path and relay password.
  const invite = loadVectors('invite-code.json', readFileSync).find((v) => v.encoded && v.form === 'url')!;
  const attributes = loadVectors('group-blobs.json', readFileSync).find((v) => v.kind === 'attributes' && v.encoded)!;
  const d = invite.derived!;

  test('the vector invite is found by its base64url id and relay password, and serves the attributes blob verbatim', async () => {
    expect(attributes.masterKey).toBe(invite.decoded!.masterKey);
    const relay = await testRelay();
    const admin = await groupUser(relay);
    const group = new TestGroup(relay, GroupSecretParams.deriveFromMasterKey(new GroupMasterKey(new Uint8Array(Buffer.from(invite.decoded!.masterKey, 'hex')))));
    expect(group.id).toBe(d.groupId);
    const create = group.change(admin, 0, [{ type: 'create', attributes: attributes.blob, profile: blob(128), membersCanInvite: false }]);
    expect((await group.create(admin, { change: create })).statusCode).toBe(200);
    // createInvite carries the id as padded standard base64 and the hash of the derived relay password.
    const action = { ...newInvite().action, inviteId: d.inviteIdBase64, passwordHash: d.passwordHash, signingKey: d.signingKey };
    expect((await group.append(admin, [action])).statusCode).toBe(200);

    const join = (path: string, password = d.relayPassword) => relay.app.inject({ method: 'GET', url: `/v1/groups/${group.id}/join/${path}`, headers: { [GROUP_HEADERS.invitePassword]: password } });
    const info = await join(d.inviteIdPath);
    expect(info.statusCode).toBe(200);
    expect(JoinInfoResponse.parse(info.json())).toMatchObject({ attributes: attributes.blob, currentVersion: 1, role: 'member' });
    // The relay also takes the padded base64url form; the standard alphabet is not a path segment it reads.
    expect((await join(`${d.inviteIdPath}==`)).statusCode).toBe(200);
    expect(errorCode(await join(encodeURIComponent(d.inviteIdBase64)))).toBe('BAD_REQUEST');
    expect(errorCode(await join(d.inviteIdPath, Buffer.alloc(32).toString('base64')))).toBe('INVITE_INVALID');
  });
});
