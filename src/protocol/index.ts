export * from './events.js';
export * from './limits.js';
export * from './errors.js';
export * from './retry.js';
export * from './uuid.js';
export * from './json.js';
