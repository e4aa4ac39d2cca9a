# Shared environment for the scripts: tool paths and the shared cargo target dir.
# Sourced, not run.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
# A Node from the npm registry, where the machine's is older than the pinned tools need
# (scripts/setup installs it; convex 1.49 asks for Node 22).
for node_bin in "$PWD"/.tools/node/node_modules/node-linux-*/bin; do
  [ -x "$node_bin/node" ] && export PATH="$node_bin:$PATH"
done
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Chromium on a closed network, as root: flags for anything that starts it by hand.
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# Trunk 0.21 refuses NO_COLOR=1 (it wants a bool).
unset NO_COLOR
