// Public surface of services/pf: the mock CPM Participating/Controlling Function's domain logic and store.
export * from './domain/index.js';
export * from './store/index.js';
