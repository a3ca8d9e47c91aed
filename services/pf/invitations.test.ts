import { describe, expect, it } from 'vitest';
import { ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import { parseMsrpSdp } from '../../protocol/sdp/index.js';
import { answerSdp, invitationHeaders, offerSdp } from './invitations.js';

const group = {
  conferenceUri: 'sip:group-team@ims.lab',
  conversationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  contributionId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  subject: 'Team chat',
};
const local = { address: '127.0.0.1', port: 7394, path: 'msrp://127.0.0.1:7394/abc;tcp' };

describe('PF INVITE headers and SDP (protocol-notes §4, §7)', () => {
  it('protocol-notes §4: deferred invitation: isfocus Contact, Accept-Contact require+explicit, P-Asserted-Service, both IDs, Subject, no Referred-By', () => {
    expect(invitationHeaders({ group, icsi: ICSI_CPM_DEFERRED })).toEqual([
      ['Contact', '<sip:group-team@ims.lab>;isfocus'],
      [
        'Accept-Contact',
        '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";require;explicit',
      ],
      ['P-Asserted-Service', 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred'],
      ['Conversation-ID', group.conversationId],
      ['Contribution-ID', group.contributionId],
      ['Subject', 'Team chat'],
    ]);
  });

  it('protocol-notes §7 "Create": invitations to a new group carry Referred-By = the creator', () => {
    const headers = invitationHeaders({ group, icsi: ICSI_CPM_SESSION, referredBy: 'sip:alice@ims.lab' });
    expect(headers).toContainEqual(['Referred-By', '<sip:alice@ims.lab>']);
    expect(headers).toContainEqual(['P-Asserted-Service', ICSI_CPM_SESSION]);
  });

  it('protocol-notes §4: the offer is actpass with the PF types; RFC 4145: an active offer is answered passive', () => {
    expect(parseMsrpSdp(offerSdp(local, 'sendonly'))).toMatchObject({
      direction: 'sendonly',
      setup: 'actpass',
      path: [local.path],
      acceptTypes: ['message/cpim', 'application/group-state-object+xml'],
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
    });
    const offer = parseMsrpSdp(offerSdp({ ...local, path: 'msrp://127.0.0.1:9/x;tcp' }, 'sendrecv'));
    expect(answerSdp({ ...offer, setup: 'active' }, local).desc).toMatchObject({
      setup: 'passive',
      direction: 'sendrecv',
    });
  });
});
