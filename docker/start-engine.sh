#!/usr/bin/env bash
# Start a Docker engine for qrinterop's container launch, kept off every network: no bridge,
# no iptables, containers on the host's network bound to 127.0.0.1 (reference/machine.md).
# Does nothing if an engine already answers. Stop it with: kill "$(cat /run/qrinterop-dockerd.pid)"
set -euo pipefail
if docker info >/dev/null 2>&1; then
    exit 0
fi
mkdir -p /var/lib/qrinterop-docker /run/qrinterop-docker
nohup dockerd --data-root /var/lib/qrinterop-docker --exec-root /run/qrinterop-docker \
    --pidfile /run/qrinterop-dockerd.pid \
    --iptables=false --ip6tables=false --ip-forward=false --bridge=none \
    --storage-driver=overlay2 >/var/log/qrinterop-dockerd.log 2>&1 &
for _ in $(seq 200); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 0.1
done
echo "start-engine.sh: dockerd did not start; see /var/log/qrinterop-dockerd.log" >&2
exit 1
