// Our CSCF in a process of its own for the benchmarks (`node cscf-child.mjs JSON`), from the compiled dist/
// (`npm run bench` builds it first): measured like Kamailio, from outside (/proc), with the trace and the
// third-party REGISTERs on as in the lab, and nothing else loaded in the process.
import { Cscf, cscfConfig } from '../../dist/services/cscf/index.js';
import { createLogger } from '../../dist/runtime/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const cscf = await Cscf.start(
  {
    ...cscfConfig({}, {}),
    host: '127.0.0.1',
    udpPort: options.port,
    tcpPort: options.port,
    domain: 'ims.lab',
    users: Array.from({ length: options.users }, (_, i) => `sip:u${i}@ims.lab`).concat('sip:bob@ims.lab'),
    services: [],
    controlPort: 0,
    maxConnections: 4096,
  },
  { logger: createLogger('cscf', { level: 'error' }), control: false },
);
cscf.addApplicationServer({ userPattern: /^(conference-factory|group-.+)$/, uri: options.pfUri });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void cscf.close().then(() => process.exit(0));
});
