// Parsing throughput of typical lab messages. Target (issue 2): 100k typical messages per second on one core.
import { bench, describe } from 'vitest';
import { parseMessage, SipStreamParser } from '../protocol/sip/index.js';
import { serializeMessage } from '../protocol/sip/serializer.js';
import { CORPUS } from '../protocol/sip/test-support/corpus.js';

const invite = CORPUS['deferred INVITE from the PF (protocol-notes §4)']!;
const register = CORPUS['REGISTER with CPM feature tags and instance-id']!;
const ok = CORPUS['200 OK to REGISTER with the binding']!;
const stream = Buffer.concat(Object.values(CORPUS));

describe('SIP parser', () => {
  bench('parse deferred INVITE (datagram)', () => {
    parseMessage(invite);
  });
  bench('parse REGISTER (datagram)', () => {
    parseMessage(register);
  });
  bench('parse 200 OK (datagram)', () => {
    parseMessage(ok);
  });
  bench(`stream-parse the corpus (${Object.keys(CORPUS).length} messages)`, () => {
    new SipStreamParser().push(stream);
  });
  bench('serialize deferred INVITE', () => {
    serializeMessage(parseMessage(invite));
  });
});
