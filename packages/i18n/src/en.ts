import { joinPage } from './en/join-page.js';
import { session } from './en/session.js';
import { member } from './en/member.js';
import { organiser } from './en/organiser.js';
import { lock } from './en/lock.js';
import { cliHelp } from './en/cli-help.js';
import { cliCommands } from './en/cli-commands.js';
import { cliErrors } from './en/cli-errors.js';
import { cliBoard } from './en/cli-board.js';
import { relayCli } from './en/relay-cli.js';
import { fingerprint } from './en/fingerprint.js';
import { cliRobust } from './en/cli-robust.js';
import { device } from './en/device.js';

// English messages (ICU MessageFormat). Every key here exists in es.ts with the same placeholders;
// test/catalog.test.ts fails otherwise. Fixed labels (ack buttons, "Send alert", "Join") are relied
// on by written guides and tests: do not reword them.
export const en = {
  ...joinPage,
  ...session,
  ...member,
  ...organiser,
  ...lock,
  ...cliHelp,
  ...cliCommands,
  ...cliErrors,
  ...cliBoard,
  ...relayCli,
  ...fingerprint,
  ...cliRobust,
  ...device,
  'app.name': 'Aviso',
  'app.skip': 'Skip to content',
  'app.connection.open': 'Connected',
  'app.connection.connecting': 'Connecting…',
  'app.connection.closed': 'Offline, trying again',
  'app.catchingUp': 'Catching up on what came while this computer was offline: {done, plural, one {# message} other {# messages}} so far…',
  'app.lostHost': 'The Aviso app on this computer stopped. Start it again with: npm run app',
  'app.back': 'Back',
  'app.error': 'Something went wrong: {message}',

  'lang.title': 'Choose your language',
  'lang.es': 'Español',
  'lang.en': 'English',
  'lang.change': 'Language',

  'onboard.title': 'Join your group',
  'onboard.intro': 'Paste the invite link or code your organiser sent you, and the name your group will see.',
  'onboard.invite': 'Invite link or code',
  'onboard.name': 'Your name (what your group sees)',
  'onboard.join': 'Join',
  'onboard.joining': 'Joining…',
  'onboard.pending': 'You asked to join "{group}". An organiser must approve you first.',
  'onboard.or': 'Or, if your organiser gave you a relay address and a token:',
  'onboard.register.title': 'Register with a token',
  'onboard.relay': 'Relay address',
  'onboard.token': 'Registration token',
  'onboard.register': 'Register',
  'onboard.registered': 'Registered. Now join a group with an invite.',
  'onboard.fingerprint': 'Your account: {id}',

  'board.title': 'Alerts',
  'board.empty': 'No alerts right now.',
  'board.noGroups': 'You are not in a group yet.',
  'board.report': 'Report',
  'board.count': '{count, plural, =0 {No alerts} one {# alert} other {# alerts}}',
  'board.from': 'From {name}',
  'board.fromRole': 'From {name} ({role})',
  'board.unknownSender': 'someone in the group',
  'board.retracted': 'Retracted',
  'board.allClear': 'All clear',
  'board.confirmed': '{count, plural, one {# confirmed} other {# confirmed}}',
  'board.disputed': '{count, plural, one {# disputed} other {# disputed}}',

  'age.now': 'just now',

  'severity.critical': 'Critical',
  'severity.urgent': 'Urgent',
  'severity.info': 'Info',

  'kind.raid': 'Raid',
  'kind.checkpoint': 'Checkpoint',
  'kind.sighting': 'Agents seen',
  'kind.patrol': 'Patrol',
  'kind.other': 'Other',

  'role.admin': 'organiser',
  'role.member': 'member',

  'alert.title': 'Alert',
  'alert.place': 'Place',
  'alert.coords': 'Coordinates',
  'alert.copy': 'Copy coordinates',
  'alert.copied': 'Copied',
  'alert.group': 'Group',
  'alert.sent': 'Sent',
  'alert.answer': 'Your answer',
  'alert.answered': 'You answered: {status}',
  'alert.verdict': 'Did you see it too?',
  'alert.note': 'Note (optional)',
  'alert.confirm': 'Confirm',
  'alert.dispute': 'Dispute',
  'alert.verdictSent': 'Sent. Thank you.',
  'alert.gone': 'This alert is no longer current.',
  'alert.rollcall': '{seen} seen · {onMyWay} on the way · {onScene} on scene · {cannot} can\'t go',

  'ack.seen': 'Seen',
  'ack.on-my-way': 'On my way',
  'ack.on-scene': 'On scene',
  'ack.cannot': 'Can\'t go',

  'report.title': 'Report what you see',
  'report.kind': 'What is happening?',
  'report.place': 'Where?',
  'report.placeHint': 'Street and cross street, or the name of the place',
  'report.group': 'Send to',
  'report.severity': 'How urgent?',
  'report.send': 'Send alert',
  'report.sending': 'Sending…',
  'report.sent': 'Alert sent.',

  'rights.button': 'Know your rights',
  'rights.title': 'Know your rights',
  'rights.intro': 'Short cards for hard moments. They work without internet. This is general information, not legal advice.',
  'rights.always.title': 'Always',
  'rights.always.body': 'You have the right to stay silent. You can say: "I want to stay silent. I want to speak to a lawyer." Do not lie and do not show false papers. Do not sign anything you do not understand, or anything in a language you do not read. Stay calm and keep your hands where they can be seen. Do not run.',
  'rights.home.title': 'Agents at the door of your home',
  'rights.home.body': 'Do not open the door. Ask them to show the warrant through the window or slide it under the door. Only a warrant signed by a judge, with your address on it, lets them come in. An immigration form signed by an officer is not enough. If they come in anyway, say: "I do not consent to this search." Stay silent and do not sign.',
  'rights.work.title': 'Agents at work (a car wash, a shop, a site)',
  'rights.work.body': 'You may stay silent, and you do not have to say where you were born or what your status is. Do not run. Agents need the owner\'s permission or a judge\'s warrant to enter private areas. Ask: "Am I free to go?" If they say yes, leave calmly. Do not sign anything, and do not carry papers from another country.',
  'rights.street.title': 'On the street or in a car',
  'rights.street.body': 'Ask: "Am I free to go?" If yes, walk away calmly. If they stop you, you may stay silent. In a car, the driver shows a licence, registration and insurance if asked; passengers may stay silent. Say: "I do not consent to a search." Do not resist, even if you think the stop is unfair.',
  'rights.call.title': 'Whom to call',
  'rights.call.body': 'Call your rapid response network or a lawyer you trust. Learn one phone number by heart: your phone may be taken. Write down what happened as soon as you can: badge numbers, car plates, time and place. If someone is detained, do not sign papers for them.',
} as const;
