import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../runtime/index.js';
import { parseGroupSpecs, pfConfig } from './config.js';

const CONV = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CONTRIB = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('PF configuration (flags, then CPM_LAB_PF_* variables, then defaults)', () => {
  it('defaults: SIP 5070 (UDP+TCP), MSRP 7394, control 8082, CSCF 127.0.0.1:5060, the lab topology group "team"', () => {
    const config = pfConfig({}, {});
    expect(config).toMatchObject({
      sipUdpPort: 5070,
      sipTcpPort: 5070,
      msrpPort: 7394,
      controlPort: 8082,
      cscf: { host: '127.0.0.1', port: 5060 },
      idleTimeoutMs: 300_000,
      domain: 'ims.lab',
      msrpMaxConnections: 256,
    });
    expect(pfConfig({ msrpMaxConnections: '5000' }, {}).msrpMaxConnections).toBe(5000);
    expect(pfConfig({}, { CPM_LAB_PF_MSRP_MAX_CONNECTIONS: '900' }).msrpMaxConnections).toBe(900);
    expect(config.groups).toEqual([
      {
        id: 'team',
        participants: ['sip:alice@ims.lab', 'sip:bob@ims.lab', 'sip:carol@ims.lab'],
        subject: 'Team chat',
      },
    ]);
  });

  it('flags win over the environment; --group is repeatable; "none" provisions nothing', () => {
    const env = { CPM_LAB_PF_SIP_PORT: '6000', CPM_LAB_PF_IDLE_TIMEOUT: '5', CPM_LAB_PF_GROUPS: 'none' };
    const config = pfConfig(
      { tcpPort: '6001', cscf: '10.0.0.1:5062', group: ['a:alice', 'b:bob,carol'] },
      env,
    );
    expect(config).toMatchObject({ sipUdpPort: 6000, sipTcpPort: 6001, idleTimeoutMs: 5000 });
    expect(config.cscf).toEqual({ host: '10.0.0.1', port: 5062 });
    expect(config.groups.map((g) => g.id)).toEqual(['a', 'b']);
    expect(pfConfig({}, env).groups).toEqual([]);
  });

  it('group specs: AoRs, subjects with colons, fixed Conversation-ID / Contribution-ID', () => {
    expect(
      parseGroupSpecs(`g1:sip:alice@ims.lab,bob:Re: plans:${CONV}:${CONTRIB}; g2:carol`, 'ims.lab'),
    ).toEqual([
      {
        id: 'g1',
        participants: ['sip:alice@ims.lab', 'sip:bob@ims.lab'],
        subject: 'Re: plans',
        conversationId: CONV,
        contributionId: CONTRIB,
      },
      { id: 'g2', participants: ['sip:carol@ims.lab'] },
    ]);
    expect(() => parseGroupSpecs('bad id:alice', 'ims.lab')).toThrow(ConfigError);
    expect(() => parseGroupSpecs('g1', 'ims.lab')).toThrow(ConfigError);
    expect(() => pfConfig({ idleTimeout: '0' }, {})).toThrow(ConfigError);
  });
});
