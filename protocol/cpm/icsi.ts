// IMS Communication Service Identifiers of OMA CPM (protocol-notes §2 table).

export const ICSI_CPM_SESSION = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session';
export const ICSI_CPM_DEFERRED = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred';
export const ICSI_CPM_MSG = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg';
export const ICSI_CPM_LARGEMSG = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg';

/** The four ICSIs a CPM client registers with (protocol-notes §2). */
export const CPM_ICSIS: readonly string[] = [
  ICSI_CPM_SESSION,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_MSG,
  ICSI_CPM_LARGEMSG,
];

/** The feature tag that carries ICSIs in Contact / Accept-Contact (3GPP TS 24.229 §7.9.2). */
export const ICSI_REF_TAG = '+g.3gpp.icsi-ref';

/** P-Asserted-Service / P-Preferred-Service values (RFC 6050 §4): literal URNs, comma-separated. */
export function parseServiceHeader(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
