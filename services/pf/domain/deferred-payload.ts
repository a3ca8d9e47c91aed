// What the deferred store needs to know about a CPIM payload (protocol-notes §6): its imdn.Message-ID (the
// de-duplication key), its original sender (CPIM From), and whether it is an IMDN.
import { cpimFrom, parseCpim } from '../../../protocol/cpim/index.js';
import { imdnMessageId, isImdnCpim } from '../../../protocol/imdn/index.js';
import { aorKey } from './addresses.js';

export interface CpimPayloadInfo {
  kind: 'message' | 'imdn';
  messageId: string;
  sender: string;
}

/** Read a message/cpim payload; undefined when it is not CPIM or lacks From or imdn.Message-ID. */
export function describeCpimPayload(body: Buffer): CpimPayloadInfo | undefined {
  try {
    const msg = parseCpim(body);
    const messageId = imdnMessageId(msg);
    const from = cpimFrom(msg);
    if (!messageId || !from) return undefined;
    return { kind: isImdnCpim(msg) ? 'imdn' : 'message', messageId, sender: aorKey(from.uri) };
  } catch {
    return undefined;
  }
}
