// The Compose lab with the PF on drachtio-server (docker-compose.yml + docker-compose.drachtio.yml): a
// drachtio-server container beside the PF, the PF as its drachtio-srf application, the CSCF routing to
// drachtio-server. The conformance suite runs through it and every clause passes; the PF's SIP reaches the
// trace through drachtio-server's HEP3 capture. The image is CPM_LAB_DRACHTIO_IMAGE (CI builds
// cpm-lab/drachtio-server:local from source: scripts/make-drachtio-image.sh); a missing image fails the test
// with what to run, never skips it.
import { execFileSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { composeConformance } from './compose-conformance.js';
import { COMPOSE_FILE, DRACHTIO_COMPOSE_FILE } from './paths.js';

const setup = inject('composeSetup');
const image = process.env.CPM_LAB_DRACHTIO_IMAGE ?? 'cpm-lab/drachtio-server:local';

describe('Compose lab with the PF on drachtio-server (docker-compose.drachtio.yml)', () => {
  const run = composeConformance({
    setup,
    label: 'the PF on drachtio-server',
    files: [COMPOSE_FILE, DRACHTIO_COMPOSE_FILE],
    env: { CPM_LAB_DRACHTIO_IMAGE: image },
    extraServices: ['drachtio'],
    logsOf: ['drachtio', 'pf', 'cscf'],
    before: () => {
      try {
        execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
      } catch {
        throw new Error(
          `no drachtio-server image ${image}: build it with scripts/make-drachtio-image.sh, or set CPM_LAB_DRACHTIO_IMAGE`,
        );
      }
    },
  });

  it("the PF's SIP engine is the drachtio-server container (report and PF state), its SIP endpoint drachtio's", async () => {
    const { lab, report } = run();
    expect(report.pfSipEngine).toMatch(/^drachtio-server at drachtio:9022, drachtio-srf \d+\.\d+\.\d+$/);
    const state = await lab.node('pf').get<{ sip: { tcp: { port: number } } }>('/state');
    expect(state.sip.tcp.port).toBe(5070);
  });

  it("the PF's SIP messages are in the trace (HEP3 from drachtio-server): the PF sent INVITEs and received REGISTERs", async () => {
    const sip = (await run().lab.hops()).filter((h) => h.protocol === 'sip');
    expect(sip.some((h) => h.from === 'pf' && /^INVITE /.test(h.startLine))).toBe(true);
    expect(sip.some((h) => h.to === 'pf' && /^REGISTER /.test(h.startLine))).toBe(true);
  });
});
