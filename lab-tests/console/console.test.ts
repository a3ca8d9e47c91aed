// The demo console in a real browser (headless Chromium driven by playwright-core) against the embedded
// lab: take alice offline, send as bob, end the session, bring alice online — all by clicking the console —
// then see the deferred INVITE and the MSRP SEND in the ladder, bob's message in alice's chat, and the
// clause lights. Saves test-artifacts/console.png.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedLab, type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

let privateLab: PrivateLab | undefined;
let lab: EmbeddedLab;
let tmp: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the console test needs Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium); it is not installed`,
    );
  }
  tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-console-test-'));
  privateLab = await startPrivateLab({ t1: 50, level: 'error', label: 'console-test' });
  lab = privateLab.lab;
  // A fresh profile: the console's large-type choice (localStorage) of an earlier run must not leak in.
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1600, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (m) => {
    // Chromium aborts requests in flight with ERR_NETWORK_CHANGED when the host's interfaces change (CI
    // containers); the console repeats what is safe to repeat, so only other errors count.
    if (m.type() === 'error' && !m.text().includes('net::ERR_NETWORK_CHANGED')) {
      pageErrors.push(`${m.text()} (${m.location().url})`);
    }
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await privateLab?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);

describe('demo console (headless Chromium)', () => {
  it('shows the topology, the group and the clause list served by the lab API', async () => {
    await page.goto(`${lab.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expectText(byTestId('live-status'), 'live');
    for (const user of ['alice', 'bob', 'carol']) await expectText(byTestId(`status-${user}`), 'online');
    await expectText(byTestId('group-team'), 'session inactive');
    expect(await page.locator('[data-testid^="clause-"]').count()).toBe(14);
  });

  it('PF, D1.a, D1.i, D1.iii, D1.vii: deferred delivery driven by the console controls', async () => {
    const text = 'Lunch at 12:30, alice?';
    await byTestId('offline-alice').click();
    await expectText(byTestId('status-alice'), 'offline');

    await byTestId('chat-input-bob').fill(text);
    await byTestId('chat-send-bob').click();
    // Stored for alice at the PF (the participant chip shows the backlog), session active.
    await byTestId('group-team').locator('li.pending', { hasText: 'alice' }).waitFor();
    await expectText(byTestId('group-team'), 'session active');

    await byTestId('end-team').click();
    await expectText(byTestId('group-team'), 'session inactive');

    await byTestId('online-alice').click();
    await expectText(byTestId('status-alice'), 'online');

    // bob's message in alice's chat, delivered over the deferred session.
    const received = byTestId('messages-alice').locator('[data-testid="received"]', { hasText: text });
    await received.waitFor();
    await expectText(received, 'deferred session');
    // bob's own view: alice's delivery notification came back.
    await expectText(
      byTestId('messages-bob').locator('[data-testid="sent"]', { hasText: text }),
      'alice ✓ delivered',
    );

    const ladder = byTestId('ladder');
    const invite = ladder.locator('g.hop[data-label="INVITE"][data-from="cscf"][data-to="alice"]', {
      has: page.locator('text', { hasText: 'cpm.deferred, sendonly' }),
    });
    await invite.first().waitFor();
    const send = ladder.locator('g.hop.msrp[data-label="MSRP SEND"][data-from="pf"][data-to="alice"]', {
      has: page.locator('text', { hasText: 'cpim:text/plain' }),
    });
    await send.first().waitFor();
    await ladder
      .locator('g.hop.msrp[data-label="MSRP SEND"][data-to="alice"]', {
        has: page.locator('text', { hasText: 'group-state-object' }),
      })
      .first()
      .waitFor();

    for (const clause of ['PF', 'D1.a', 'D1.i', 'D1.iii', 'D1.vii']) {
      await page.locator(`[data-testid="clause-${clause}"][data-lit="true"]`).waitFor();
    }

    // Clicking an arrow shows the message as it was on the wire.
    await invite.first().click();
    const raw = byTestId('raw-text');
    await expectText(raw, 'INVITE sip:alice@');
    await expectText(raw, 'oma.cpm.deferred');
    await expectText(raw, 'a=sendonly');
    await byTestId('raw-close').click();

    // Filtered to the group: the deferred dialog and its MSRP session stay, REGISTERs go.
    await byTestId('ladder-filter').selectOption({ label: 'group team' });
    // Wait for the re-render itself (the REGISTER rows leave), not for a row that was there before it.
    await ladder.locator('g.hop[data-label="REGISTER"]').first().waitFor({ state: 'detached' });
    await send.first().waitFor();
    expect(await ladder.locator('g.hop[data-label="REGISTER"]').count()).toBe(0);
    await byTestId('ladder-filter').selectOption('all');

    // The evidence of a lit clause is marked in the ladder.
    await byTestId('clause-D1.a').click();
    await ladder.locator('g.hop.marked').first().waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    expect(pageErrors, pageErrors.join('\n')).toEqual([]);
  });

  it('large type for a projector, and reset brings every client back online', async () => {
    await byTestId('offline-carol').click();
    await expectText(byTestId('status-carol'), 'offline');
    await byTestId('reset-lab').click();
    await expectText(byTestId('status-carol'), 'online');

    // Evaluated in the page (a string: this project's TypeScript has no DOM types).
    const rootFontSize = 'getComputedStyle(document.documentElement).fontSize';
    const small = (await page.evaluate(rootFontSize)) as string;
    await byTestId('large-type').click();
    await page.locator('html.large').waitFor({ state: 'attached' });
    const large = (await page.evaluate(rootFontSize)) as string;
    expect(Number.parseFloat(large)).toBeGreaterThan(Number.parseFloat(small));
    await byTestId('large-type').click();
  });
});

/** Wait (bounded by vitest's timeout) until the element's text contains `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}
