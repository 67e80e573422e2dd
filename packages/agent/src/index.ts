// The member host shared by the `aviso` CLI and the app: the profile home and its lock, name
// resolution, and the control channels that hand a command to the process holding a profile.
export { AgentError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './errors.js';
export { DEFAULT_PROFILE, avisoHome, ensureProfileDir, lockProfile, profileFor, readSettings, writeSettings, type Profile, type ProfileSettings } from './profile.js';
export { MIN_PREFIX, label, resolveOne, type Namer } from './resolve.js';
export type { ControlChannel, ControlHandler, ControlOutput, ControlRequest } from './control/channel.js';
export { UnixSocketChannel, controlPath, forward } from './control/unix-socket.js';
