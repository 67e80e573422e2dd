// The member host shared by the `aviso` CLI and the app: the profile home and its lock, one SDK
// client per profile, connecting and draining, name resolution, JSON views, and the control
// channels that hand a command to the process holding a profile.
export { AgentError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError, type MessageRef } from './errors.js';
export { DEFAULT_PROFILE, avisoHome, ensureProfileDir, lockProfile, profileFor, profileHolder, readSettings, writeSettings, type Profile, type ProfileSettings } from './profile.js';
export { MemberHost, type HostOptions, type ProfileSecret } from './host.js';
export { removeProfileFiles, wipeProfile } from './wipe.js';
export { AUTO_WIPE_DAYS, readAutoWipe, setAutoWipe } from './auto-wipe.js';
export { changeProfilePassphrase, clearProfileDuressPassphrase, protectProfile, setProfileDuressPassphrase } from './protect.js';
export { DEFAULT_CONNECT_TIMEOUT_S, checkRelay, connectAndDrain, debugLogger, type ConnectOptions } from './session.js';
export { MIN_PREFIX, label, resolveOne, type Namer } from './resolve.js';
export { pastedInviteCode } from './pasted-code.js';
export { ackCounts, activeGroups, alertJson, allAlerts, bySeverity, groupJson, groupPeople, memberJson, type AckCounts, type FoundAlert, type People } from './views/index.js';
export { CONTACT_MAX_CHARS, composeDescription, inviteStateJson, newInviteJson, parseDescription, requestJson, rollCallJson, type GroupContacts } from './views/index.js';
export type { ControlChannel, ControlHandler, ControlOutput, ControlRequest } from './control/channel.js';
export { UnixSocketChannel, controlPath, forward } from './control/unix-socket.js';
export { LiveFeed, type FeedDetail, type FeedEvent, type FeedOptions, type FeedProblem } from './live/feed.js';
export { AppServer, type AppServerOptions } from './app/server.js';
export { AppLock, DEFAULT_IDLE_MINUTES, MAX_IDLE_MINUTES, type AppLockOptions } from './app/lock.js';
export { APP_SUBPROTOCOL, MAX_BODY_BYTES, MAX_WS_FRAME_BYTES, TOKEN_SUBPROTOCOL_PREFIX, contentSecurityPolicy } from './app/guard.js';
