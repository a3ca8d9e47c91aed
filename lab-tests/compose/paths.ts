// The repository root (build context and project directory of docker-compose.yml) and the compose file.
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
/** The override that makes Kamailio the CSCF (docs/kamailio.md). */
export const KAMAILIO_COMPOSE_FILE = fileURLToPath(
  new URL('../../docker-compose.kamailio.yml', import.meta.url),
);
/** The override that puts the PF on drachtio-server (docs/drachtio.md). */
export const DRACHTIO_COMPOSE_FILE = fileURLToPath(
  new URL('../../docker-compose.drachtio.yml', import.meta.url),
);
