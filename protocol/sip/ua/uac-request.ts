// Sending a request as UAC with one digest retry (RFC 3261 §8.1.3.5, §22.2, §22.3): a 401/407 carrying a
// challenge the credentials can answer is retried once with a new branch and CSeq+1 (§8.1.3.5).
import { buildAuthorization, parseChallenge } from '../auth/index.js';
import type { SipRequest, SipResponse } from '../message.js';
import type { ClientTransaction, TransactionLayer } from '../transaction/index.js';
import type { SendTarget } from '../transport/index.js';

export interface Credentials {
  username: string;
  password: string;
  /** Only answer challenges of this realm (default: any). */
  realm?: string;
}

export interface UacSendOptions {
  target: SendTarget;
  credentials?: Credentials | undefined;
  onProvisional?: ((response: SipResponse) => void) | undefined;
  /** INVITE: 2xx after the first (RFC 6026 §7.2). */
  onAdditional2xx?: ((response: SipResponse) => void) | undefined;
  /** Every client transaction started (the first and the authenticated retry), e.g. to CANCEL it. */
  onTransaction?: ((tx: ClientTransaction) => void) | undefined;
}

export interface UacResult {
  /** The final response (any class). */
  response: SipResponse;
  /** The request as last sent (with Via, possibly Authorization). */
  request: SipRequest;
  transaction: ClientTransaction;
}

export async function sendWithDigest(
  layer: TransactionLayer,
  request: SipRequest,
  options: UacSendOptions,
): Promise<UacResult> {
  let current = request;
  let tx = start(layer, current, options);
  let response = await tx.final;
  const retry = authorizedRetry(current, response, options.credentials);
  if (retry) {
    current = retry;
    tx = start(layer, current, { ...options, target: tx.target });
    response = await tx.final;
  }
  return { response, request: current, transaction: tx };
}

function start(layer: TransactionLayer, request: SipRequest, options: UacSendOptions): ClientTransaction {
  const tx = layer.sendRequest(request, options.target, {
    ...(options.onProvisional ? { onProvisional: options.onProvisional } : {}),
    ...(options.onAdditional2xx ? { onAdditional2xx: options.onAdditional2xx } : {}),
  });
  options.onTransaction?.(tx);
  return tx;
}

/**
 * §22.2 / §22.3: the same request with Authorization (401) or Proxy-Authorization (407) answering the
 * challenge, a fresh Via (new transaction) and CSeq+1 (§8.1.3.5); undefined when it cannot be answered.
 */
export function authorizedRetry(
  request: SipRequest,
  response: SipResponse,
  credentials: Credentials | undefined,
): SipRequest | undefined {
  if (!credentials || (response.status !== 401 && response.status !== 407)) return undefined;
  const challengeHeader = response.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
  const answerHeader = response.status === 401 ? 'Authorization' : 'Proxy-Authorization';
  const retry = request.clone();
  retry.remove('via');
  let answered = false;
  for (const value of response.getAll(challengeHeader)) {
    let challenge: ReturnType<typeof parseChallenge>;
    try {
      challenge = parseChallenge(value);
    } catch {
      continue; // another scheme, or unreadable: look at the next challenge
    }
    if (credentials.realm !== undefined && challenge.realm !== credentials.realm) continue;
    let authorization: string;
    try {
      authorization = buildAuthorization({
        challenge,
        username: credentials.username,
        password: credentials.password,
        method: request.method,
        uri: request.uri,
      });
    } catch {
      continue; // unsupported algorithm / qop
    }
    if (!answered) retry.remove(answerHeader);
    retry.append(answerHeader, authorization);
    answered = true;
  }
  if (!answered) return undefined;
  const cseq = request.cseq;
  retry.set('CSeq', `${cseq.seq + 1} ${cseq.method}`);
  return retry;
}
