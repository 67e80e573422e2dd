// Quick start: two members on one relay. Alice registers and creates a group, Bob joins it with an
// invite code (which also registers him), Alice sends an alert, Bob receives and acknowledges it, and
// Alice takes the roll call.
//
//   node --conditions=@aviso/source --import tsx examples/quick-start.ts <relay-url> <registration-token>
//
// or set AVISO_RELAY_URL and AVISO_TOKEN. Get a token from the relay's operator
// (`npm run relay -- token create`).
import { AvisoClient, type AvisoClientEvents } from '@aviso/client';

const relayUrl = process.argv[2] ?? process.env.AVISO_RELAY_URL;
const registrationToken = process.argv[3] ?? process.env.AVISO_TOKEN;
if (!relayUrl || !registrationToken) {
  console.error('usage: quick-start.ts <relay-url> <registration-token>');
  process.exit(2);
}

/** The next `event` from `client`, or an error after `ms`. */
function next<K extends keyof AvisoClientEvents>(client: AvisoClient, event: K, ms = 30_000): Promise<AvisoClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${ms} ms`)), ms);
    client.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

// In memory: the identity is gone when the program ends. Pass { dataDir: './alice' } to keep it.
const alice = await AvisoClient.open();
const bob = await AvisoClient.open();
for (const [name, client] of [['alice', alice], ['bob', bob]] as const) {
  client.on('error', (err) => console.error(`${name}: ${err.message}`));
}

try {
  await alice.register({ relayUrl, registrationToken });
  console.log(`alice registered as ${alice.accountId}`);

  const group = await alice.createGroup({ title: 'Eastside responders', displayName: 'Rosa' });
  // The code carries the group key and a registration token minted for it; share it privately.
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1 });

  // Bob has no account yet: join() registers him with the code's token, then verifies the group's log.
  const bobsGroup = await bob.join(code, { displayName: 'Luis' });
  console.log(`bob registered as ${bob.accountId} and joined "${bobsGroup.title}" as ${bobsGroup.status}`);

  await group.sync(); // Alice verifies Bob's join, so her next alert is encrypted for him too.
  await Promise.all([alice.connect(), bob.connect()]);

  const received = next(bob, 'alert');
  const alertId = await group.sendAlert({
    kind: 'raid',
    severity: 'critical',
    title: 'Agents at the car wash',
    place: { text: '5th and Main', lat: 33.8961, lon: -118.2202 },
    requestAck: true,
  });
  const alert = await received;
  const sender = alert.from === alice.accountId ? 'alice' : alert.from;
  console.log(`bob received alert "${alert.title}" (${alert.kind}, ${alert.severity}) at ${alert.place?.text} from ${sender}`);

  const acked = next(alice, 'ack');
  await bobsGroup.acknowledge(alert.id, 'on-my-way');
  const ack = await acked;
  console.log(`alice received "${ack.status}" from ${ack.from === bob.accountId ? 'bob' : ack.from}`);

  const roll = await group.rollCall(alertId);
  console.log(`roll call: ${roll.onMyWay.length} on the way, ${roll.onScene.length} on scene, ${roll.seen.length} seen, ${roll.cannot.length} cannot`);
} finally {
  await Promise.all([alice.close(), bob.close()]);
}
