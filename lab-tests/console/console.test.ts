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

  it('layouts hold at 1,280 and 1,920 px with many groups and long group names (no horizontal overflow)', async () => {
    const long = 'a-group-name-long-enough-to-push-the-layout-sideways';
    for (let i = 0; i < 8; i++) {
      await fetch(`${lab.url}/nodes/pf/groups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `${long}-${i}`,
          participants: ['alice', 'bob', 'carol'],
          subject: `${long} ${i}`,
        }),
      });
    }
    await page.locator(`[data-testid="group-${long}-7"]`).waitFor();
    for (const width of [1280, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      // Measured in the page (a string: this project's TypeScript has no DOM types).
      const overflow = (await page.evaluate(
        `(() => { const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')].filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed'; }).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5); })()`,
      )) as string[];
      expect(overflow, `at ${width} px`).toEqual([]);
      const scroll = (await page.evaluate(
        'document.documentElement.scrollWidth <= document.documentElement.clientWidth',
      )) as boolean;
      expect(scroll, `horizontal scroll at ${width} px`).toBe(true);
    }
    await page.setViewportSize({ width: 1600, height: 1000 });
  });

  it('large type for a projector; reset brings every client back online, removes scenario groups, clears chats and ladder', async () => {
    await byTestId('offline-carol').click();
    await expectText(byTestId('status-carol'), 'offline');
    const total = async () =>
      Number(/of (\d+) messages/.exec((await byTestId('hop-count').textContent()) ?? '')?.[1]);
    const before = await total();
    expect(before).toBeGreaterThan(20);
    await byTestId('reset-lab').click();
    await expectText(byTestId('status-carol'), 'online');
    // Reset deletes the groups that are not the topology's, and the chats and the ladder start afresh.
    await page.locator('[data-testid^="group-a-group-name-long"]').first().waitFor({ state: 'detached' });
    await byTestId('group-team').waitFor();
    await expectText(byTestId('messages-alice'), 'no messages yet');
    // The ladder counts only what came after the reset (polled: the count is rendered, not signalled).
    await expect.poll(total, { timeout: 15_000 }).toBeLessThan(before);

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

describe('demo console with Kamailio as the CSCF', () => {
  it('the CSCF card shows the external CSCF (product, SIP address), and the ladder names it "cscf"', async () => {
    const kamailioLab = await startPrivateLab({
      t1: 50,
      level: 'error',
      label: 'console-kamailio',
      cscf: 'kamailio',
    });
    try {
      const peer = kamailioLab.lab.peers[0]!;
      await page.goto(`${kamailioLab.url}/`);
      await page.waitForSelector('body[data-ready="true"]');
      await expectText(byTestId('node-cscf'), 'external');
      await expectText(byTestId('node-cscf'), `SIP ${peer.sip}`);
      expect(await byTestId('node-cscf').textContent()).toMatch(/Kamailio \d+\.\d+/);
      // Traffic through Kamailio appears in the ladder between the nodes and the "cscf" column.
      await fetch(`${kamailioLab.url}/nodes/alice/offline`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'deregister' }),
      });
      await byTestId('ladder')
        .locator('g.hop[data-label="REGISTER"][data-from="alice"][data-to="cscf"]')
        .first()
        .waitFor();
      expect(pageErrors, pageErrors.join('\n')).toEqual([]);
    } finally {
      await kamailioLab.close();
    }
  }, 60_000);
});

/** Wait (bounded by vitest's timeout) until the element's text contains `text`. */
async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}
