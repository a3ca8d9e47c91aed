// Sending a request within a dialog (RFC 3261 §12.2.1): built by the Dialog (R-URI = remote target, Route =
// route set, CSeq+1), sent to the next hop of §12.2.1.1, digest retry once (§22.2), and the §12.2.1.2 rule
// that a 481 or 408 ends the dialog.
import type { SipRequest, SipResponse } from '../message.js';
import { type DialogUsage, type UaCore, bodyOf } from './core.js';
import { sendWithDigest } from './uac-request.js';

export interface InDialogOptions {
  headers?: Array<[string, string | number]>;
  body?: Buffer | string;
  contentType?: string;
}

/** Methods that refresh the remote target carry a Contact (§12.2.1.1; RFC 6665 §4.1.2.1). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export function buildInDialog(
  core: UaCore,
  usage: DialogUsage,
  method: string,
  options: InDialogOptions,
): SipRequest {
  const body = bodyOf(options.body);
  const request = usage.dialog.createRequest(method, {
    ...(options.headers ? { headers: options.headers } : {}),
    ...(body ? { body } : {}),
    ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
  });
  if (TARGET_REFRESH.has(method) && !request.has('contact')) {
    request.append('Contact', core.contact(usage.path.transport));
  }
  return request;
}

/** Send and return the final response (any class). `ended` is true when §12.2.1.2 ends the dialog (481/408). */
export async function sendInDialog(
  core: UaCore,
  usage: DialogUsage,
  request: SipRequest,
): Promise<{ response: SipResponse; ended: boolean }> {
  const target = core.inDialogTarget(request, usage.path);
  const { response, request: sent } = await sendWithDigest(core.layer, request, {
    target,
    credentials: core.credentials,
  });
  // A digest retry used CSeq+1 (§8.1.3.5): keep the dialog's local sequence ahead of it.
  const seq = sent.cseq.seq;
  if (seq > usage.dialog.localSeq) usage.dialog.localSeq = seq;
  // §12.2.1.2: 481 or 408 (including the locally generated timeout) → the dialog is gone.
  return { response, ended: response.status === 481 || response.status === 408 };
}
