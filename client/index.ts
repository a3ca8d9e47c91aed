// Public surface of client/: the CPM client's domain logic (pure decisions, state machines) and its store.
export * from './domain/index.js';
export * from './store/index.js';
