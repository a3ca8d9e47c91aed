// A TransactionLayer on a FakeTransport under fake timers, new for each test of the calling file.
import { afterEach, beforeEach, vi } from 'vitest';
import { TransactionLayer, type TransactionLayerOptions } from '../transaction-layer.js';
import { FakeTransport } from './fake-transport.js';

/** Registers the hooks; `use` receives each test's transport and layer (before the test runs). */
export function fakeLayerPerTest(
  use: (transport: FakeTransport, layer: TransactionLayer) => void,
  options: TransactionLayerOptions = {},
): void {
  let layer: TransactionLayer | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    const transport = new FakeTransport();
    layer = new TransactionLayer(transport, options);
    use(transport, layer);
  });
  afterEach(() => {
    layer?.close();
    vi.useRealTimers();
  });
}
