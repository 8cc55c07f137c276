#!/usr/bin/env bash
# Apache Kafka (KRaft) for tests and local replays: one combined broker+controller, or a cluster of
# KAFKA_NODES of them (three voters for a cluster of three), all on free 127.0.0.1 ports.
#
#   scripts/kafka.sh fetch      download the jars from Maven Central (with Maven) into the cache
#   scripts/kafka.sh start      fetch if needed, format storage, start every node, wait until each
#                               answers, print the bootstrap address(es) on stdout (comma-separated)
#   scripts/kafka.sh stop       stop every node this script started (and delete their data)
#   scripts/kafka.sh status     print the bootstrap address(es) and exit 0 if every node runs, else exit 1
#   scripts/kafka.sh kill [N]   SIGKILL node N (default 1), keeping its data (a crash, for tests)
#   scripts/kafka.sh shutdown [N]  stop node N by SIGTERM (Kafka's controlled shutdown: it hands its
#                               leaderships over first), keeping its data
#   scripts/kafka.sh restart [N]   start a killed or shut-down node again, same ports and data
#   scripts/kafka.sh address [N]   print node N's own address
#   scripts/kafka.sh classpath  print the classpath (for the perf tool in scripts/)
#
# KAFKA_VERSION       release to use (default below: the newest 4.x on Maven Central; 3.9.x and 3.5.x work)
# KAFKA_NODES         nodes to start (default 1). A cluster (2 or more) gets replication factor and
#                     internal topics of min(3, nodes), min.insync.replicas 2, and -Xmx512m per node.
# OPENDT_REPLAY_CACHE cache folder outside the repo (default ~/.cache/opendt-replay)
# KAFKA_STATE_DIR     where the config, data, log and pid live (default: per version in the cache),
#                     so a test can run a broker or cluster of its own and stop it; a cluster keeps
#                     one folder per node in it (node1, node2, ...). Later verbs read KAFKA_NODES
#                     from the state folder, so only `start` needs it.
# KAFKA_SECURE=1      also open a SASL_PLAINTEXT listener (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN,
#                     user "replay", password "replay-secret") and an SSL listener that requires a
#                     client certificate; certificates are made with openssl and keytool in the
#                     state folder (ca.pem, client.pem, client.key); their addresses are written to
#                     sasl_bootstrap and ssl_bootstrap there. For tests: the secrets are fixed.
#                     Single node only.
# Only Maven Central is used: no other download site.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
CACHE="${OPENDT_REPLAY_CACHE:-$HOME/.cache/opendt-replay}"
HOME_DIR="$CACHE/kafka-$KAFKA_VERSION"
LIBS="$HOME_DIR/libs"
RUN="${KAFKA_STATE_DIR:-$HOME_DIR/run}"

log() { echo "kafka.sh: $*" >&2; }

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  mkdir -p "$HOME_DIR"
  # One fetch at a time (test files running in parallel may all ask for the jars at once); the
  # lock's descriptor is the subshell's alone, so no broker started later inherits it.
  ( flock 9; fetch_locked ) 9>"$HOME_DIR/.fetch.lock"
}

fetch_locked() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  # kafka 3.x logs through slf4j 1.7 + reload4j, 4.x through log4j2; one slf4j-simple backend
  # (stderr, level set at start) serves both, so the pom is the same for every version.
  cat > "$HOME_DIR/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>opendt-replay</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS"
  rm -rf "$LIBS"
  mvn -q -B -f "$HOME_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime \
    -DexcludeArtifactIds=slf4j-reload4j,reload4j,log4j-slf4j-impl,log4j-slf4j2-impl >&2
  touch "$LIBS/.complete"
}

# A cluster id as Kafka's StorageTool random-uuid makes one (16 random bytes, base64url without
# padding, never starting with "-"), without starting a JVM for it.
random_uuid() {
  local id
  until id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; [[ "$id" != -* ]]; do :; done
  echo "$id"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# How many nodes the state folder was started with (KAFKA_NODES before the first start).
nodes() {
  if [[ -f "$RUN/nodes" ]]; then cat "$RUN/nodes"; else echo "${KAFKA_NODES:-1}"; fi
}

# Node N's folder: the state folder itself for a single node (its layout since the first version),
# one folder per node in it for a cluster.
dir_of() {
  if [[ "$(nodes)" == 1 ]]; then echo "$RUN"; else echo "$RUN/node$1"; fi
}

# Alive: node N's recorded pid runs and is our broker (a stale pid file may name a reused pid).
alive() {
  local dir; dir="$(dir_of "$1")"
  [[ -f "$dir/pid" ]] || return 1
  local pid; pid="$(cat "$dir/pid")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $dir/server.properties"
}

all_alive() {
  [[ -f "$RUN/bootstrap" ]] || return 1
  local i; for i in $(seq 1 "$(nodes)"); do alive "$i" || return 1; done
}

heap() { if [[ "$(nodes)" == 1 ]]; then echo -Xmx1g; else echo -Xmx512m; fi; }

# A tool that runs seconds (StorageTool): the first JIT tier and the serial collector start it in
# less CPU than the defaults a broker keeps.
java_main() { # main class, args...
  local cls="$1"; shift
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms256m -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -cp "$LIBS/*" "$cls" "$@"
}

start() {
  if all_alive; then cat "$RUN/bootstrap"; return 0; fi
  local n="${KAFKA_NODES:-1}"
  [[ "$n" =~ ^[1-9]$ ]] || { log "KAFKA_NODES must be 1 to 9, got '$n'"; exit 2; }
  if [[ "$n" != 1 && "${KAFKA_SECURE:-}" == 1 ]]; then log "KAFKA_SECURE=1 is for a single node"; exit 2; fi
  fetch
  rm -rf "$RUN"; mkdir -p "$RUN"
  echo "$n" > "$RUN/nodes"
  # Two free ports per node (client, controller), all different.
  local used=" " ports=() cports=() i p
  for i in $(seq 1 "$((2 * n))"); do
    p="$(free_port)"
    while [[ "$used" == *" $p "* ]]; do p="$(free_port)"; done
    used+="$p "
    if (( i <= n )); then ports+=("$p"); else cports+=("$p"); fi
  done
  local voters="" bootstrap=""
  for i in $(seq 1 "$n"); do
    voters+="${voters:+,}$i@127.0.0.1:${cports[$((i - 1))]}"
    bootstrap+="${bootstrap:+,}127.0.0.1:${ports[$((i - 1))]}"
  done
  local extra_listeners="" extra_map="" scram=()
  if [[ "${KAFKA_SECURE:-}" == 1 ]]; then
    local sport tport
    sport="$(free_port)"; tport="$(free_port)"
    make_certs
    extra_listeners=",SASL_PLAINTEXT://127.0.0.1:$sport,SSL://127.0.0.1:$tport"
    extra_map=",SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL"
    scram=(--add-scram 'SCRAM-SHA-256=[name=replay,password=replay-secret]' --add-scram 'SCRAM-SHA-512=[name=replay,password=replay-secret]')
    echo "127.0.0.1:$sport" > "$RUN/sasl_bootstrap"
    echo "127.0.0.1:$tport" > "$RUN/ssl_bootstrap"
  fi
  # A cluster keeps every write on min(3, nodes) replicas and acknowledges it once two hold it.
  local rf=$(( n < 3 ? n : 3 )) isr=$(( n < 3 ? 1 : 2 ))
  local cluster_id; cluster_id="$(random_uuid)"
  for i in $(seq 1 "$n"); do
    local dir port
    dir="$(dir_of "$i")"; port="${ports[$((i - 1))]}"
    mkdir -p "$dir/data"
    cat > "$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:${cports[$((i - 1))]}$extra_listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$port$extra_listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT$extra_map
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
min.insync.replicas=$isr
group.initial.rebalance.delay.ms=0
EOF
    if [[ "${KAFKA_SECURE:-}" == 1 ]]; then
      cat >> "$dir/server.properties" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_replay="replay-secret";
listener.name.ssl.ssl.keystore.location=$RUN/broker.p12
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.password=changeit
listener.name.ssl.ssl.key.password=changeit
listener.name.ssl.ssl.truststore.location=$RUN/truststore.p12
listener.name.ssl.ssl.truststore.type=PKCS12
listener.name.ssl.ssl.truststore.password=changeit
listener.name.ssl.ssl.client.auth=required
EOF
    fi
    echo "127.0.0.1:$port" > "$dir/address"
  done
  # Every node's storage formatted at once (a JVM each), then checked.
  local formats=()
  for i in $(seq 1 "$n"); do
    dir="$(dir_of "$i")"
    java_main kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/server.properties" "${scram[@]}" > "$dir/format.log" 2>&1 &
    formats+=("$!")
  done
  for i in $(seq 1 "$n"); do
    wait "${formats[$((i - 1))]}" || { cat "$(dir_of "$i")/format.log" >&2; exit 1; }
  done
  # A quorum of three elects a controller only once two voters run: launch every node, then wait.
  for i in $(seq 1 "$n"); do launch "$i"; done
  for i in $(seq 1 "$n"); do await_node "$i" stop; done
  echo "$bootstrap" > "$RUN/bootstrap"
  cat "$RUN/bootstrap"
}

# Runs node N in the background.
launch() {
  local dir; dir="$(dir_of "$1")"
  nohup java -Xms256m "$(heap)" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/broker.log" 2>&1 &
  echo $! > "$dir/pid"
}

# Waits for node N's own "started" line, then for its listener to accept connections. On failure,
# `start` stops every node (a half-started cluster is no use); `restart` leaves the others running.
# Whether the node still runs is asked of its pid alone: `alive` also matches the command line, and
# until the background shell has exec'd java that line is still this script's (a restart once read
# a node that had just been launched as exited, and stopped the whole cluster).
await_node() { # N, on-failure command
  local dir port pid; dir="$(dir_of "$1")"; port="$(cut -d: -f2 < "$dir/address")"; pid="$(cat "$dir/pid")"
  local deadline=$((SECONDS + 120))
  until grep -q "Kafka Server started" "$dir/broker.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then log "node $1 exited during start-up; its log:"; tail -n 30 "$dir/broker.log" >&2; $2; exit 1; fi
    if (( SECONDS > deadline )); then log "node $1 did not answer within 120 s"; tail -n 30 "$dir/broker.log" >&2; $2; exit 1; fi
    sleep 0.2
  done
  log "Apache Kafka $KAFKA_VERSION node $1 running at 127.0.0.1:$port (pid $(cat "$dir/pid"), log $dir/broker.log)"
}

# The node a verb names (default 1), checked against the state folder's count.
node_arg() {
  local i="${1:-1}" n; n="$(nodes)"
  if [[ ! "$i" =~ ^[0-9]+$ ]] || (( i < 1 || i > n )); then log "no node '$i': this state folder has nodes 1 to $n"; exit 2; fi
  echo "$i"
}

# A test CA, a broker certificate for 127.0.0.1 and a client certificate, all signed by the CA.
make_certs() {
  (
    cd "$RUN"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=opendt-replay test CA" 2>/dev/null
    for who in broker client; do
      openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" -subj "/CN=$who" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$who.ext"
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$who.pem" -days 30 -extfile "$who.ext" 2>/dev/null
    done
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -out broker.p12 -passout pass:changeit -name broker
    keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1
  )
}

# Kills node N at once (SIGKILL, as a crash would), keeping its configuration and data.
kill_node() {
  local i dir; i="$(node_arg "${1:-}")"; dir="$(dir_of "$i")"
  if alive "$i"; then kill -9 "$(cat "$dir/pid")"; log "killed node $i of Apache Kafka $KAFKA_VERSION (pid $(cat "$dir/pid"))"; fi
  for _ in $(seq 1 50); do alive "$i" || break; sleep 0.1; done
}

# Stops node N as an operator would (SIGTERM: a controlled shutdown), keeping its data.
shutdown_node() {
  local i dir pid; i="$(node_arg "${1:-}")"; dir="$(dir_of "$i")"
  alive "$i" || return 0
  pid="$(cat "$dir/pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "node $i did not stop within 60 s"; exit 1; fi
  log "shut down node $i of Apache Kafka $KAFKA_VERSION (pid $pid)"
}

# Starts a killed or shut-down node again, on the same ports, with its data.
restart() {
  local i dir; i="$(node_arg "${1:-}")"; dir="$(dir_of "$i")"
  [[ -f "$dir/server.properties" ]] || { log "nothing to restart in $dir"; exit 1; }
  if ! alive "$i"; then launch "$i"; await_node "$i" true; fi
  cat "$RUN/bootstrap"
}

# Stops every node (SIGTERM, then SIGKILL after 10 s) and deletes the state folder.
stop() {
  local i pid dir pids=()
  for i in $(seq 1 "$(nodes)"); do
    dir="$(dir_of "$i")"
    if alive "$i"; then pid="$(cat "$dir/pid")"; kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ -d "$RUN" ]]; then log "stopped Apache Kafka $KAFKA_VERSION ($(nodes) node(s))"; fi
  rm -rf "$RUN"
}

status() {
  if all_alive; then cat "$RUN/bootstrap"; else log "not running (Kafka $KAFKA_VERSION)"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  kill) kill_node "${2:-}" ;;
  shutdown) shutdown_node "${2:-}" ;;
  restart) restart "${2:-}" ;;
  address) cat "$(dir_of "$(node_arg "${2:-}")")/address" ;;
  stop) stop ;;
  status) status ;;
  classpath) fetch; echo "$LIBS/*" ;;
  *) echo "usage: scripts/kafka.sh start|stop|status|kill [N]|shutdown [N]|restart [N]|address [N]|fetch|classpath  (KAFKA_VERSION=${KAFKA_VERSION})" >&2; exit 2 ;;
esac
