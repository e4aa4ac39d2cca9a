# The size budget: the release demo's bytes on the wire (gzip -9 of every file trunk built)
# must stay at or under the committed budget in bench/size-budget. Raising the budget is a
# reviewed change to that file, never automatic. Sourced by scripts/test; prints a breakdown.
# size_check DIST -> exit 0 within budget, 1 over (or unreadable).
size_check() {
  local dist=$1 budget total=0 f raw gz
  budget=$(grep -Eo '^[0-9]+' bench/size-budget | head -1)
  [ -n "$budget" ] || { echo "[size] bench/size-budget has no number"; return 1; }
  for f in "$dist"/*; do
    [ -f "$f" ] || continue
    raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
    total=$((total + gz))
    printf '[size]   %-48s %9d raw %9d gzip\n' "$(basename "$f")" "$raw" "$gz"
  done
  printf '[size] total %d bytes gzip, budget %d (%s)\n' "$total" "$budget" \
    "$([ "$total" -le "$budget" ] && echo within || echo OVER)"
  [ "$total" -le "$budget" ]
}
