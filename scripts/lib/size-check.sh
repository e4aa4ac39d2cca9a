# The size budget: the SDK's own bytes on the wire. The release demo and the floor app
# (bench/floor-yew: the demo's markup and CSS on bare Yew with static data) are built alike;
# the demo's gzip -9 total minus the floor's is what convex-yew itself costs an app, and it
# must stay at or under the committed budget in bench/size-budget. Raising the budget is a
# reviewed change to that file, never automatic. Sourced by scripts/test and scripts/bench.

# dist_gzip DIST -> prints each file's raw and gzip bytes, then sets DIST_GZIP to the total.
dist_gzip() {
  local dist=$1 f raw gz
  DIST_GZIP=0
  for f in "$dist"/*; do
    [ -f "$f" ] || continue
    raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
    DIST_GZIP=$((DIST_GZIP + gz))
    printf '[size]   %-48s %9d raw %9d gzip\n' "$(basename "$f")" "$raw" "$gz"
  done
}

# size_check DEMO_DIST FLOOR_DIST -> exit 0 when the SDK's own bytes are within budget.
size_check() {
  local demo floor budget sdk
  budget=$(grep -Eo '^[0-9]+' bench/size-budget | head -1)
  [ -n "$budget" ] || { echo "[size] bench/size-budget has no number"; return 1; }
  echo "[size] the demo:"; dist_gzip "$1"; demo=$DIST_GZIP
  echo "[size] the floor (bare Yew, the same markup):"; dist_gzip "$2"; floor=$DIST_GZIP
  sdk=$((demo - floor))
  printf '[size] demo %d, floor %d: the SDK'"'"'s own bytes %d gzip, budget %d (%s)\n' \
    "$demo" "$floor" "$sdk" "$budget" "$([ "$sdk" -le "$budget" ] && echo within || echo OVER)"
  [ "$demo" -gt 0 ] && [ "$floor" -gt 0 ] && [ "$sdk" -le "$budget" ]
}
