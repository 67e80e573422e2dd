export * from './schemas.js';
export * from './rules.js';
export * from './authenticity.js';
export * from './checkpoint.js';
