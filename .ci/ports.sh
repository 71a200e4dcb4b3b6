# Sourced by the .ci scripts that start a gateway: two free loopback ports, $grpc_port and $web_port, picked at random
# in 20000-39999 (a port that accepts a connection is taken) so that checks running side by side do not collide.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
grpc_port=$(free_port)
web_port=$(free_port)
while [ "$web_port" = "$grpc_port" ]; do web_port=$(free_port); done
