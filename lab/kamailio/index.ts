// Kamailio as the lab's CSCF: start it from the project's configuration (docs/kamailio.md).
export {
  KAMAILIO_CONFIG,
  KamailioError,
  type KamailioOptions,
  type KamailioProcess,
  kamailioBinary,
  kamailioVersion,
  startKamailio,
} from './kamailio.js';
