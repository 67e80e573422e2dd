export { ConfigError, loadConfig, type Config, type LogLevel, type RateLimitConfig } from './config.js';
export { AppContext, createContext, createRegistrationToken, type ContextOverrides, type Services } from './context.js';
export { buildApp } from './http/app.js';
export { startServer, type ServerHandle } from './server.js';
export { runRelay } from './main.js';
export { createLogger, type Logger } from './logger.js';
export type { Clock } from './services/clock.js';
export type { CreatedToken } from './services/tokens.js';
export type { RelayKeys } from './relay-keys.js';
