// +sip.instance Contact parameter (RFC 5626 §4.1): `+sip.instance="<urn:uuid:...>"`.
import { randomUUID } from 'node:crypto';
import type { Params } from '../sip/params.js';

export const SIP_INSTANCE_PARAM = '+sip.instance';

/** A fresh instance ID URN (RFC 5626 §4.1 recommends a UUID URN, RFC 4122). */
export function newInstanceId(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** `+sip.instance="<urn:uuid:...>"`. */
export function formatSipInstanceParam(instanceId: string): string {
  return `${SIP_INSTANCE_PARAM}="<${instanceId}>"`;
}

export function setSipInstance(params: Params, instanceId: string): Params {
  return params.set(SIP_INSTANCE_PARAM, `<${instanceId}>`, true);
}

/** The instance URN without its angle brackets; undefined when absent or empty. */
export function getSipInstance(params: Params): string | undefined {
  const v = params.get(SIP_INSTANCE_PARAM);
  if (typeof v !== 'string') return undefined;
  const s = v.trim().replace(/^<(.*)>$/, '$1');
  return s || undefined;
}

/** Instance IDs compare case-insensitively (RFC 5626 §4.1: URN equality, UUIDs are hex). */
export function sameInstance(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
