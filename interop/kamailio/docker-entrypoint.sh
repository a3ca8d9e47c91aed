#!/bin/sh
# Start Kamailio as the lab's CSCF in a container: listen on this container's address (UDP and TCP), and
# tell the configuration where the PF is (interop/kamailio/kamailio.cfg reads these as -A defines).
#
# Environment: CPM_LAB_DOMAIN (ims.lab), CPM_LAB_KAMAILIO_PORT (5060), CPM_LAB_KAMAILIO_PF_URI
# (sip:pf:5070;transport=tcp), CPM_LAB_KAMAILIO_LISTEN (this container's first address).
# Arguments: the lab's compose file names each service's role as its command (`cscf`): accepted and
# ignored; anything else is passed to kamailio.
set -eu
[ "${1:-}" = cscf ] && shift
domain=${CPM_LAB_DOMAIN:-ims.lab}
port=${CPM_LAB_KAMAILIO_PORT:-5060}
pf=${CPM_LAB_KAMAILIO_PF_URI:-sip:pf:5070;transport=tcp}
ip=${CPM_LAB_KAMAILIO_LISTEN:-$(hostname -i | cut -d' ' -f1)}
echo "cpm-lab-kamailio: ${domain} on ${ip}:${port} (udp+tcp), PF at ${pf}" >&2
exec kamailio -DD -E -f /etc/kamailio/cpm-lab.cfg \
  -l "udp:${ip}:${port}" -l "tcp:${ip}:${port}" \
  -A "LAB_DOMAIN=\"${domain}\"" -A "PF_URI=\"${pf}\"" -A "SELF_URI=\"sip:cscf@${domain}\"" \
  -A "TCP_SOCKET=\"tcp:${ip}:${port}\"" "$@"
