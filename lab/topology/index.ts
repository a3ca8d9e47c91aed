// The lab topology: file format, validation, loading.
export { DEFAULT_TOPOLOGY_PATH, loadTopology } from './load.js';
export {
  type ClientNode,
  type CscfEngine,
  type CscfSpec,
  type GroupSpec,
  type PfSipEngine,
  parseTopology,
  type Policy,
  type Topology,
  TopologyError,
  withCscf,
  withCscfSipPort,
  withSut,
  withPfSipEngine,
  withEphemeralPorts,
} from './topology.js';
export { provisionedGroupIds, type ProvisionedGroupIds, uuidV5 } from './group-ids.js';
