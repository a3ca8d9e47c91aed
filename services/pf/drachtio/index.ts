// The PF's signalling port on drachtio-server through drachtio-srf (docs/drachtio.md).
export {
  type DrachtioEngineSettings,
  type DrachtioServer,
  DrachtioSignalling,
  type DrachtioSignallingOptions,
  drachtioEngine,
  type OwnedDrachtioServer,
  parseHostport,
} from './drachtio-signalling.js';
export { HepCapture, type SipEndpoint } from './hep-capture.js';
export {
  DrachtioServerError,
  type DrachtioServerOptions,
  type DrachtioServerProcess,
  drachtioBinary,
  drachtioConfig,
  drachtioVersion,
  startDrachtioServer,
} from './drachtio-server.js';
