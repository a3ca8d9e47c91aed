// lab/trace: the lab's merged SIP + MSRP timeline — merge and de-duplicate per-node trace records into hops,
// group them (Call-ID, MSRP session, Conversation-ID, time), and render them as Mermaid sequence diagrams,
// terminal ladders and pcap files (with tshark/Wireshark decode-as hints for MSRP).

export { type TcpConnection, tcpConnections } from './connections.js';
export {
  decodeAsEntries,
  type DecodeAsEntry,
  tsharkDecodeAsArgs,
  wiresharkDecodeAsEntries,
} from './decode-as.js';
export { EndpointNames, formatEndpoint, normalizeAddress, sameEndpoint } from './endpoints.js';
export {
  byCallId,
  byConversation,
  byMsrpSession,
  conversationIdOf,
  type Flow,
  groupByCallId,
  groupByConversation,
  groupByMsrpSession,
  inTimeRange,
  msrpSessionIds,
  msrpSessionKey,
  sdpMsrpSessionIds,
  splitFlows,
} from './group.js';
export { describeMessage, type LabelSource, messageDetails, messageLabel } from './labels.js';
export { DEFAULT_LADDER_WIDTH, type LadderOptions, renderLadder } from './ladder.js';
export {
  DEFAULT_MATCH_WINDOW_MS,
  type Hop,
  type MergeOptions,
  mergeNodeTraces,
  mergeTraces,
} from './merge.js';
export {
  DEFAULT_GAP_MS,
  escapeMermaid,
  type MermaidOptions,
  toMermaid,
  toMermaidPerFlow,
} from './mermaid.js';
export { DEFAULT_NETWORK_NODES, type ParticipantOptions, participantOrder } from './participants.js';
export { LINKTYPE_ETHERNET, type PcapOptions, pcapBytes, writePcap } from './pcap.js';
