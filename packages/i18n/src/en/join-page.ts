// The relay's join page (GET /join, packages/server/src/http/join-page.ts): what someone who opened
// an invite link in a browser reads. Plain words; the quoted labels are the app's own.
export const joinPage = {
  'join.title': 'Join a group on Aviso',
  'join.lead': 'Someone sent you an invite to a group on Aviso, a network where neighbours warn each other. This page cannot join for you: open the invite in the Aviso app, or with the aviso command, on your own computer.',
  'join.keep': 'Keep the invite to yourself. Anyone who has it can join the group or ask to join. Do not post it in public chats.',
  'join.lang.label': 'Language',
  'join.lang.name': 'English',
  'join.app.title': 'With the Aviso app',
  'join.app.step1': 'Start the Aviso app on your computer. If it is not installed, your organiser can help. To start it, run: npm run app',
  'join.app.step2': 'Copy the invite link you were sent: the whole link, with the part after the # sign.',
  'join.app.step3': 'In the app, paste it into "Invite link or code", write the name your group will see, and press "Join".',
  'join.cli.title': 'With the command line',
  'join.cli.step': 'Run this, with the whole invite link between the quotes:',
  'join.cli.command': 'aviso join "INVITE LINK" --name "Your name"',
  'join.pending': 'Some invites need an organiser to accept you first. Until then you will not see alerts.',
  'join.private.title': 'Your invite stays on this device',
  'join.private.body': 'The invite is the part of the address after the # sign. Your browser never sends that part to this server, and this page has no scripts that could send it anywhere.',
} as const;
