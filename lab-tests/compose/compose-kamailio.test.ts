// The Compose lab with Kamailio as the CSCF (docker-compose.yml + docker-compose.kamailio.yml): the `cscf`
// service is Kamailio from Debian's package with interop/kamailio/kamailio.cfg, the PF and the clients are the
// usual containers. The conformance suite runs through it and every clause passes.
import { describe, expect, inject, it } from 'vitest';
import { composeConformance } from './compose-conformance.js';
import { COMPOSE_FILE, KAMAILIO_COMPOSE_FILE } from './paths.js';

const setup = inject('composeSetup');

describe('Compose lab with Kamailio as the CSCF (docker-compose.kamailio.yml)', () => {
  const run = composeConformance({
    setup,
    label: 'Kamailio',
    files: [COMPOSE_FILE, KAMAILIO_COMPOSE_FILE],
    // The Kamailio image is built on the same Debian base as the lab image (CI: the local stand-in).
    env: { CPM_LAB_KAMAILIO_BASE_IMAGE: process.env.CPM_LAB_KAMAILIO_BASE_IMAGE ?? setup.nodeImage },
    logsOf: ['cscf', 'pf'],
  });

  it('the lab API lists Kamailio as the CSCF peer (no control API), the PF and the clients as nodes', async () => {
    const { lab, report } = run();
    expect((await lab.nodes()).map((n) => n.name).sort()).toEqual(['alice', 'bob', 'carol', 'pf']);
    const [peer] = await lab.peers();
    expect(peer).toMatchObject({ name: 'cscf', role: 'cscf', product: 'Kamailio (Debian package)' });
    expect(peer!.sip).toMatch(/^\d+\.\d+\.\d+\.\d+:5060$/);
    expect(report.cscf).toMatch(/^Kamailio \(Debian package\) at /);
  });
});
