/** Ferry's reference ingestion server, for embedding: `startServer(validateConfig({...}))`. */
export { startServer, type RunningServer } from './server.js';
export { validateConfig, loadConfigFile, ConfigError } from './config.js';
export type { ServerConfig, SourceConfig, DestinationConfig, WebhookDestinationConfig, FileDestinationConfig, MemoryDestinationConfig, RetryConfig } from './config.js';
export type { Store } from './store/types.js';
