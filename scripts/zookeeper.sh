#!/usr/bin/env bash
# Debian's ZooKeeper for the tests.
#
#   scripts/zookeeper.sh install      installs the `zookeeper` package and a headless JRE when
#                                     missing (apt-get; needs root)
#   scripts/zookeeper.sh classpath    prints the Java class path of the packaged server
#   scripts/zookeeper.sh run CFG      runs a standalone server in the foreground with the config
#                                     file CFG (exec: the caller's child is the JVM itself)
#   scripts/zookeeper.sh config DIR PORT
#                                     writes DIR/zoo.cfg for a loopback server on PORT with its
#                                     data under DIR/data, and prints the file's path
#
# The tests (tests/zk_support) call `install` when the server is missing, then `run`.
set -euo pipefail

# Debian 12 puts every jar (zookeeper.jar, zookeeper-jute.jar, netty, slf4j...) in /usr/share/java;
# /usr/share/zookeeper/lib does not exist there but stays on the class path for other layouts.
ZK_LIB=/usr/share/zookeeper/lib
JAVA_LIB=/usr/share/java

have_zookeeper() {
    command -v java >/dev/null 2>&1 && [ -f "$JAVA_LIB/zookeeper.jar" ]
}

install() {
    if have_zookeeper; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "zookeeper.sh: ZooKeeper or Java is missing and installing them needs root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends zookeeper default-jre-headless
    have_zookeeper || { echo "zookeeper.sh: install finished but the jars are not where expected" >&2; exit 1; }
}

classpath() {
    echo "$ZK_LIB/*:$JAVA_LIB/*"
}

case "${1:-}" in
install) install ;;
classpath) classpath ;;
run)
    cfg="${2:?usage: zookeeper.sh run CFG}"
    # Quiet console logging; the server's own log4j/logback setup stays as packaged.
    exec java -Xmx256m -Dzookeeper.admin.enableServer=false \
        -cp "$(classpath)" org.apache.zookeeper.server.ZooKeeperServerMain "$cfg"
    ;;
config)
    dir="${2:?usage: zookeeper.sh config DIR PORT}"
    port="${3:?usage: zookeeper.sh config DIR PORT}"
    mkdir -p "$dir/data"
    cat >"$dir/zoo.cfg" <<CFG
tickTime=500
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
minSessionTimeout=1000
maxSessionTimeout=60000
CFG
    echo "$dir/zoo.cfg"
    ;;
*)
    echo "usage: zookeeper.sh install | classpath | run CFG | config DIR PORT" >&2
    exit 2
    ;;
esac
