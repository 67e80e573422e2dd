export * from './prekeys.js';
export * from './sessions.js';
export * from './sealed.js';
export * from './certificate-cache.js';
export * from './safety-number.js';
