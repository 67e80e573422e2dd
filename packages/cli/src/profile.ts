// The profile home lives in @aviso/agent (the app shares it); its names stay importable from here.
export { DEFAULT_PROFILE, avisoHome, ensureProfileDir, lockProfile, profileFor, readSettings, writeSettings, type Profile, type ProfileSettings } from '@aviso/agent';
