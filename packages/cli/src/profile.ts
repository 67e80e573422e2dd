// The profile home lives in @aviso/agent (the app shares it); its names stay importable from here.
// From the agent's startup entry: every start of `aviso` reads it, and it loads no SDK.
export { DEFAULT_PROFILE, avisoHome, ensureProfileDir, lockProfile, profileFor, readSettings, writeSettings, type Profile, type ProfileSettings } from '@aviso/agent/startup';
