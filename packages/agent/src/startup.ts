// `@aviso/agent/startup`: what a front end needs before it knows whether it will open a profile —
// errors, the profile home and its lock, handing a command to the process that holds a profile —
// and nothing that loads the SDK (libsignal, SQLite). The `aviso` command prints its help and hands
// commands to a running `listen` from these alone; the main entry re-exports the same modules.
export { AgentError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError, type MessageRef } from './errors.js';
export { DEFAULT_PROFILE, avisoHome, ensureProfileDir, lockProfile, profileFor, profileHolder, readSettings, writeSettings, type Profile, type ProfileSettings } from './profile.js';
export { controlPath, forward } from './control/unix-socket.js';
