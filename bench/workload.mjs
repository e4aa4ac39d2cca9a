// The codec workload shared by both benchmarks: a Transition carrying 100 query results of
// 50 documents each (strings, floats, int64s, arrays), and an argument object to encode.
export function transitionText() {
  const docs = (q) =>
    Array.from({ length: 50 }, (_, i) => ({
      _id: `k57${q}x${i}abcdefghijklmnop`,
      _creationTime: 1764123456789.25 + i,
      text: `message ${i} of query ${q}: the quick brown fox jumps over the lazy dog`,
      count: { $integer: Buffer.from(new BigInt64Array([BigInt(i * 1000 + q)]).buffer).toString("base64") },
      score: i / 7,
      tags: ["a", "b", `t${i % 5}`],
      done: i % 2 === 0,
    }));
  const modifications = Array.from({ length: 100 }, (_, q) => ({ type: "QueryUpdated", queryId: q, value: docs(q), logLines: [], journal: null }));
  return JSON.stringify({
    type: "Transition",
    startVersion: { querySet: 1, identity: 0, ts: "AAAAAAAAAAA=" },
    endVersion: { querySet: 1, identity: 0, ts: "CgAAAAAAAAA=" },
    modifications,
    clientClockSkew: 0,
    serverTs: 1764123456789000000,
  });
}
