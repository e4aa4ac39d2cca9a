// Prints the code size of a wasm file per crate (from its name section), largest first.
// Usage: node scripts/lib/wasm-sizes.mjs file.wasm [top]
import { readFileSync } from "node:fs";

const buf = readFileSync(process.argv[2]);
const top = Number(process.argv[3] ?? 25);
let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = buf[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
let imports = 0, bodies = [], names = new Map();
while (pos < buf.length) {
  const id = buf[pos++]; const size = u32(); const end = pos + size;
  if (id === 2) { const n = u32(); for (let i = 0; i < n; i++) { let l = u32(); pos += l; l = u32(); pos += l; const kind = buf[pos++];
      if (kind === 0) { u32(); imports++; } else if (kind === 1) { pos++; const f = buf[pos++]; u32(); if (f & 1) u32(); } else if (kind === 2) { const f = buf[pos++]; u32(); if (f & 1) u32(); } else { pos += 2; } } }
  if (id === 10) { const n = u32(); for (let i = 0; i < n; i++) { const s = u32(); bodies.push(s); pos += s; } }
  if (id === 0) { const nl = u32(); const name = buf.subarray(pos, pos + nl).toString(); pos += nl;
    if (name === "name") { while (pos < end) { const sub = buf[pos++]; const ss = u32(); const se = pos + ss;
        if (sub === 1) { const n = u32(); for (let i = 0; i < n; i++) { const idx = u32(); const l = u32(); names.set(idx, buf.subarray(pos, pos + l).toString()); pos += l; } }
        pos = se; } } }
  pos = end;
}
const byCrate = new Map();
let total = 0;
bodies.forEach((size, i) => {
  total += size;
  const name = names.get(i + imports) ?? "?";
  // Legacy mangling: _ZN<len><segment>...; the first segment's path names the crate. For
  // `<T as Trait>` impls the segment is `_$LT$T$u20$as$u20$Trait$GT$`: use T's crate.
  let crate = "(other)";
  const z = name.indexOf("_ZN");
  if (z >= 0) {
    const lm = name.slice(z + 3).match(/^(\d+)/);
    if (lm) {
      let seg = name.slice(z + 3 + lm[1].length, z + 3 + lm[1].length + Number(lm[1]));
      seg = seg.replace(/^_?\$LT\$/, "").replace(/^(\$RF\$|\*const\$u20\$|\*mut\$u20\$|dyn\$u20\$|mut\$u20\$|\$u5b\$)+/, "");
      crate = seg.split(/\.\.|\$/)[0] || "(other)";
    }
  }
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + size);
});
console.log(`code: ${total} bytes in ${bodies.length} functions`);
[...byCrate.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).forEach(([c, s]) => console.log(`${String(s).padStart(8)}  ${(100 * s / total).toFixed(1).padStart(5)}%  ${c}`));
if (process.argv[4]) {
  const want = process.argv[4];
  const rows = [];
  bodies.forEach((size, i) => { const name = names.get(i + imports) ?? "?"; if (name.includes(want) || (want === "(other)" && !name.includes("_ZN"))) rows.push([size, name]); });
  rows.sort((a, b) => b[0] - a[0]).slice(0, 15).forEach(([s, n]) => console.log(String(s).padStart(8), n.slice(0, 140)));
}
