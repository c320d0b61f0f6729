// Public surface of the moves domain: the state machine, collision naming, decision moves, purge,
// and the persistence ports the server's store implements.
export * from './asset-transitions.js';
export * from './collision-name.js';
export * from './move-errors.js';
export * from './move-journal.js';
export * from './storage-root.js';
export * from './asset-mover.js';
export * from './asset-purger.js';
export { InMemoryAssetRecords, InMemoryMoveJournal } from './in-memory-move-journal.js';
