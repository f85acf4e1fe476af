#!/usr/bin/env bash
# A whole cluster on this machine, one OS process per part, over a private RabbitMQ:
#   scripts/local-cluster.sh start [--bare]   start RabbitMQ, two cluster managers (active +
#                                            standby), the management API, the portal and the agents
#   scripts/local-cluster.sh stop            stop everything it started (by pid)
#   scripts/local-cluster.sh status
# State (config, logs, pids, broker data) lives in $MEDIASPREAD_CLUSTER_DIR (.tmp/local-cluster).
# --bare also starts agents whose node role is not implemented yet (plumbing checks).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${MEDIASPREAD_CLUSTER_DIR:-$PWD/.tmp/local-cluster}
AMQP_PORT=${MEDIASPREAD_AMQP_PORT:-5672}
# Our own epmd on its own port, so that stop can end it by pid without touching others'.
EPMD_PORT=${MEDIASPREAD_EPMD_PORT:-$((AMQP_PORT + 1000))}
PIDS=$DIR/pids
RABBIT_BIN=/usr/lib/rabbitmq/bin

rabbit_env() {
  export HOME=$DIR/rabbit RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT
  export RABBITMQ_DIST_PORT=$((AMQP_PORT + 20000))
  export RABBITMQ_MNESIA_BASE=$DIR/rabbit/mnesia RABBITMQ_LOG_BASE=$DIR/rabbit/log
  export RABBITMQ_PID_FILE=$DIR/rabbit/rabbit.pid
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start_part() { # name, args...
  local name=$1; shift
  node dist/launcher/cli.js "$@" --config "$DIR/mediaspread.toml" >"$DIR/$name.log" 2>&1 &
  echo "$! $name" >>"$PIDS"
  echo "started $name (pid $!, log $DIR/$name.log)"
}

cmd=${1:-start}
case $cmd in
start)
  bare=${2:-}
  # Tests run it from an already built tree (MEDIASPREAD_SKIP_SETUP=1).
  [[ ${MEDIASPREAD_SKIP_SETUP:-} == 1 ]] || bash scripts/setup.sh
  mkdir -p "$DIR/rabbit"
  if [[ -s $PIDS ]]; then echo "already running (see $PIDS); run '$0 stop' first" >&2; exit 1; fi
  if ss -ltn "sport = :$AMQP_PORT" | grep -q LISTEN; then
    echo "port $AMQP_PORT is in use; set MEDIASPREAD_AMQP_PORT to a free one" >&2; exit 1
  fi
  rabbit_env
  epmd -port "$EPMD_PORT" -address 127.0.0.1 &
  echo "$! epmd" >>"$PIDS"
  "$RABBIT_BIN/rabbitmq-server" >"$DIR/rabbit.log" 2>&1 &
  echo "$! rabbitmq" >>"$PIDS"
  if ! "$RABBIT_BIN/rabbitmqctl" -q wait --timeout 60 "$RABBITMQ_PID_FILE" >/dev/null 2>&1; then
    echo "RabbitMQ did not start; the end of $DIR/rabbit.log:" >&2
    tail -5 "$DIR/rabbit.log" >&2
    "$0" stop >/dev/null
    exit 1
  fi
  echo "RabbitMQ ready on 127.0.0.1:$AMQP_PORT"
  secret=$(head -c 32 /dev/urandom | base64)
  cat >"$DIR/mediaspread.toml" <<TOML
[rpc]
transport = "amqp"
amqpUrl = "amqp://guest:guest@127.0.0.1:$AMQP_PORT"
[cluster]
secret = "$secret"
[store]
dataDir = "$DIR/data"
TOML
  chmod 600 "$DIR/mediaspread.toml"
  start_part cluster-manager-1 start cluster-manager
  start_part cluster-manager-2 start cluster-manager
  # The super service is created before the API opens the store (the embedded store has one
  # owner at a time); its key is printed here once.
  node dist/launcher/cli.js admin init --config "$DIR/mediaspread.toml" || true
  start_part management-api start management-api
  start_part portal start portal
  for purpose in conference webrtc streaming recording audio video; do
    if [[ $bare == --bare ]]; then start_part "$purpose-agent" start "$purpose-agent" --bare
    elif node --input-type=module -e "import {hasNodeRole} from './dist/agents/node-roles.js'; process.exit(hasNodeRole('$purpose')?0:1)"; then
      start_part "$purpose-agent" start "$purpose-agent"
    fi
  done
  ;;
stop)
  [[ -f $PIDS ]] || { echo "nothing running"; exit 0; }
  # Parts first (reverse start order), RabbitMQ last.
  tac "$PIDS" | while read -r pid name; do
    [[ $name == rabbitmq || $name == epmd ]] && continue
    kill -TERM "$pid" 2>/dev/null && echo "stopping $name ($pid)" || true
  done
  sleep 2
  rabbit_env
  "$RABBIT_BIN/rabbitmqctl" -q -n rabbit@localhost shutdown 2>/dev/null || true
  while read -r pid name; do kill -KILL "$pid" 2>/dev/null || true; done <"$PIDS"
  rm -f "$PIDS"
  echo "stopped"
  ;;
status)
  [[ -f $PIDS ]] || { echo "nothing running"; exit 0; }
  while read -r pid name; do
    if kill -0 "$pid" 2>/dev/null; then echo "up    $name ($pid)"; else echo "down  $name ($pid)"; fi
  done <"$PIDS"
  ;;
*) echo "usage: $0 start [--bare] | stop | status" >&2; exit 2 ;;
esac
