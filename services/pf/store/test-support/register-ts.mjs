// `node --import ./register-ts.mjs child.mjs`: lets a plain child process import the TypeScript sources.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
