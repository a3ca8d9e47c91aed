// The lab API: aggregation and pass-through over the nodes' control APIs.
export {
  type ClientFactory,
  createLabApi,
  type LabApiOptions,
  type NodeTrace,
  nodeFetch,
  NodeUnreachableError,
} from './lab-api.js';
export {
  type ExternalPeer,
  type LabNode,
  type NodeRole,
  parseNodeList,
  parsePeerList,
  peerNames,
} from './node-directory.js';
export { LiveFeed, type LiveHop, type LiveNodeEvent, toLiveHops } from './live-events.js';
