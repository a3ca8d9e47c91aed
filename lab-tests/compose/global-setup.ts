// Runs once before the Compose tests: checks the machine (preflight.ts: fails, never skips, when Docker,
// Compose or the base image is missing) and removes whatever an interrupted earlier run left behind.
import type { TestProject } from 'vitest/node';
import { COMPOSE_FILE } from './paths.js';
import { type ComposeSetup, preflight, removeProject } from './preflight.js';

declare module 'vitest' {
  export interface ProvidedContext {
    composeSetup: ComposeSetup;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const composeSetup = await preflight();
  await removeProject(composeSetup, COMPOSE_FILE);
  project.provide('composeSetup', composeSetup);
}
