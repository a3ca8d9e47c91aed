// An IMDN wrapped in CPIM (RFC 5438 §7.1.1): Content-Disposition notification and a fresh imdn.Message-ID.
import { getHeader, parseDisposition, type XmlLimits } from '../bodies/index.js';
import { type CpimAddress, type CpimMessage, cpimContentType, createCpim } from '../cpim/index.js';
import { buildImdn, IMDN_CONTENT_TYPE, type ImdnDocument, isImdnContentType, parseImdn } from './document.js';
import { ImdnParseError } from './errors.js';
import { IMDN_NS_DECLARATION, imdnHeaders, imdnRouteHeaders, newImdnMessageId } from './headers.js';

export interface ImdnCpimInit {
  /** CPIM From: the recipient of the original message (protocol-notes §6). */
  from: CpimAddress;
  /** CPIM To: the original sender. */
  to: CpimAddress;
  notification: ImdnDocument;
  /** The notification's own imdn.Message-ID; a fresh one when absent (RFC 5438 §7.1.1). */
  messageId?: string;
  /** The notification's DateTime; now when absent. */
  dateTime?: Date;
  /** RFC 5438 §4: the original message's IMDN-Record-Route URIs, in order, sent as IMDN-Route. */
  route?: readonly string[];
}

/** Build the CPIM message carrying an IMDN. */
export function buildImdnCpim(init: ImdnCpimInit): CpimMessage {
  return createCpim({
    from: init.from,
    to: init.to,
    namespaces: [IMDN_NS_DECLARATION],
    headers: [...imdnHeaders(init.messageId ?? newImdnMessageId()), ...imdnRouteHeaders(init.route ?? [])],
    dateTime: init.dateTime ?? new Date(),
    contentType: IMDN_CONTENT_TYPE,
    contentHeaders: [{ name: 'Content-Disposition', value: 'notification' }],
    content: buildImdn(init.notification),
  });
}

/** True when the CPIM content is an IMDN (by type, legacy type tolerated, or Content-Disposition). */
export function isImdnCpim(msg: CpimMessage): boolean {
  if (isImdnContentType(cpimContentType(msg))) return true;
  const disposition = getHeader(msg.contentHeaders, 'Content-Disposition');
  if (disposition === undefined) return false;
  try {
    return parseDisposition(disposition).type === 'notification';
  } catch {
    return false;
  }
}

/** The IMDN carried by a CPIM message. Throws ImdnParseError('not-imdn') when the content is not one. */
export function readImdnCpim(msg: CpimMessage, limits?: XmlLimits): ImdnDocument {
  if (!isImdnContentType(cpimContentType(msg))) {
    throw new ImdnParseError('not-imdn', `content type ${cpimContentType(msg) ?? '(none)'} is not an IMDN`);
  }
  return parseImdn(msg.content, limits);
}
