export * from './wire.js';
export * from './errors.js';
export * from './capabilities.js';
export * from './signing.js';
export * from './relative-path.js';
export * from './media-extensions.js';
export * from './media-input-safety.js';
