export {
  decodeHep3,
  encodeHep3,
  HEP_PROTOCOL_SIP,
  Hep3Error,
  type Hep3Input,
  type Hep3Packet,
  MAX_HEP3_PACKET,
} from './hep3.js';
