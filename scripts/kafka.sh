#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, combined broker+controller) for tests and local replays.
#
#   scripts/kafka.sh fetch    download the jars from Maven Central (with Maven) into the cache
#   scripts/kafka.sh start    fetch if needed, format storage, start on a free 127.0.0.1 port,
#                             wait until it answers, print the bootstrap address on stdout
#   scripts/kafka.sh stop     stop the broker this script started (and delete its data)
#   scripts/kafka.sh status   print the bootstrap address and exit 0 if it runs, else exit 1
#   scripts/kafka.sh kill     SIGKILL the broker, keeping its data (a crash, for tests)
#   scripts/kafka.sh restart  start a killed broker again on the same ports with its data
#   scripts/kafka.sh classpath  print the classpath (for the perf tool in scripts/)
#
# KAFKA_VERSION       release to use (default below: the newest 4.x on Maven Central; 3.9.x works)
# OPENDT_REPLAY_CACHE cache folder outside the repo (default ~/.cache/opendt-replay)
# KAFKA_STATE_DIR     where a broker's config, data, log and pid live (default: per version in the
#                     cache), so a test can run a second broker of its own and stop it
# KAFKA_SECURE=1      also open a SASL_PLAINTEXT listener (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN,
#                     user "replay", password "replay-secret") and an SSL listener that requires a
#                     client certificate; certificates are made with openssl and keytool in the
#                     state folder (ca.pem, client.pem, client.key); their addresses are written to
#                     sasl_bootstrap and ssl_bootstrap there. For tests: the secrets are fixed.
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

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Alive: the recorded pid runs and is our broker (a stale pid file may name a reused pid).
alive() {
  [[ -f "$RUN/pid" ]] || return 1
  local pid; pid="$(cat "$RUN/pid")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $RUN/server.properties"
}

java_main() { # main class, args...
  local cls="$1"; shift
  java -Xms256m -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -cp "$LIBS/*" "$cls" "$@"
}

start() {
  if alive; then cat "$RUN/bootstrap"; return 0; fi
  fetch
  rm -rf "$RUN"; mkdir -p "$RUN/data"
  local port cport
  port="$(free_port)"; cport="$(free_port)"
  while [[ "$cport" == "$port" ]]; do cport="$(free_port)"; done
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
  cat > "$RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport$extra_listeners
advertised.listeners=PLAINTEXT://127.0.0.1:$port$extra_listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT$extra_map
log.dirs=$RUN/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  if [[ "${KAFKA_SECURE:-}" == 1 ]]; then
    cat >> "$RUN/server.properties" <<EOF
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
  java_main kafka.tools.StorageTool format -t "$(java_main kafka.tools.StorageTool random-uuid)" \
    -c "$RUN/server.properties" "${scram[@]}" > "$RUN/format.log" 2>&1 || { cat "$RUN/format.log" >&2; exit 1; }
  echo "127.0.0.1:$port" > "$RUN/bootstrap"
  launch
}

# Runs the broker configured in $RUN and waits until it answers.
launch() {
  local port; port="$(cut -d: -f2 < "$RUN/bootstrap")"
  nohup java -Xms256m -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -cp "$LIBS/*" kafka.Kafka "$RUN/server.properties" > "$RUN/broker.log" 2>&1 &
  echo $! > "$RUN/pid"
  # Wait for the server's own "started" line, then for the listener to accept connections.
  local deadline=$((SECONDS + 120))
  until grep -q "Kafka Server started" "$RUN/broker.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! alive; then log "broker exited during start-up; its log:"; tail -n 30 "$RUN/broker.log" >&2; exit 1; fi
    if (( SECONDS > deadline )); then log "broker did not answer within 120 s"; tail -n 30 "$RUN/broker.log" >&2; stop; exit 1; fi
    sleep 0.2
  done
  log "Apache Kafka $KAFKA_VERSION running at 127.0.0.1:$port (pid $(cat "$RUN/pid"), log $RUN/broker.log)"
  cat "$RUN/bootstrap"
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

# Kills the broker at once (SIGKILL, as a crash would), keeping its configuration and data.
kill_broker() {
  if alive; then kill -9 "$(cat "$RUN/pid")"; log "killed Apache Kafka $KAFKA_VERSION (pid $(cat "$RUN/pid"))"; fi
  for _ in $(seq 1 50); do alive || break; sleep 0.1; done
}

# Starts a killed or stopped-by-kill broker again, on the same ports, with its data.
restart() {
  if alive; then cat "$RUN/bootstrap"; return 0; fi
  [[ -f "$RUN/server.properties" ]] || { log "nothing to restart in $RUN"; exit 1; }
  launch
}

stop() {
  if alive; then
    local pid; pid="$(cat "$RUN/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped Apache Kafka $KAFKA_VERSION (pid $pid)"
  fi
  rm -rf "$RUN"
}

status() {
  if alive; then cat "$RUN/bootstrap"; else log "not running (Kafka $KAFKA_VERSION)"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  kill) kill_broker ;;
  restart) restart ;;
  stop) stop ;;
  status) status ;;
  classpath) fetch; echo "$LIBS/*" ;;
  *) echo "usage: scripts/kafka.sh start|stop|status|kill|restart|fetch|classpath  (KAFKA_VERSION=${KAFKA_VERSION})" >&2; exit 2 ;;
esac
