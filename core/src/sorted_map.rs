//! [`SortedMap`]: a map kept as one sorted vector.
//!
//! The clients' own collections are small and keyed by ids or short strings: the queries of a
//! page (hundreds), the requests in flight (a few), the locks and waiters of a tab. A sorted
//! vector serves them in O(log n) lookups and O(n) inserts, iterates in key order as
//! `BTreeMap` does, and its code is a fraction of `BTreeMap`'s node balancing, which wasm
//! ships once per key and value type (issue #24 measured about 20 of those instantiations).

use std::borrow::Borrow;

/// A map kept as a vector sorted by key. Iteration is in key order.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

/// Shown as a map, as `BTreeMap` is.
impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted with `make` if absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K, V> SortedMap<K, V> {
    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries in key order, values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> + '_ {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The keys in order, owned.
    pub fn into_keys(self) -> impl Iterator<Item = K> {
        self.entries.into_iter().map(|(k, _)| k)
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// A map of `entries` in any order, a later entry of a key replacing an earlier one (as
    /// `collect` into a `BTreeMap`), in O(n log n): for maps built from input, where
    /// [`insert`](Self::insert)ing keys one by one in descending order would cost O(n²) moves
    /// (a hostile server's 80,000-key object: seconds).
    pub fn from_entries(entries: Vec<(K, V)>) -> Self {
        // In order already (what Convex and `BTreeMap`s send): nothing to sort.
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return SortedMap { entries };
        }
        let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for (k, v) in merge_sort(entries) {
            match out.last_mut() {
                Some(last) if last.0 == k => *last = (k, v),
                _ => out.push((k, v)),
            }
        }
        SortedMap { entries: out }
    }
}

/// A stable merge sort by key (equal keys keep their order), safe and small: the standard
/// library's sorts cost kilobytes of wasm per element type.
fn merge_sort<K: Ord, V>(mut left: Vec<(K, V)>) -> Vec<(K, V)> {
    if left.len() < 2 {
        return left;
    }
    let right = merge_sort(left.split_off(left.len() / 2));
    let left = merge_sort(left);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        let next = match (l.peek(), r.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => r.next(),
            (Some(_), _) => l.next(),
            (None, _) => r.next(),
        };
        match next {
            Some(entry) => out.push(entry),
            None => return out,
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    /// Later duplicates of a key replace earlier ones, as in `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = SortedMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

/// The entries in key order, as `(&key, &value)` (`for (k, v) in &map`).
impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    /// Later duplicates of a key replace earlier ones, as in `BTreeMap`.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// `map[key]`, as `BTreeMap` indexes: panics when the key is absent (use
/// [`get`](SortedMap::get) to ask).
impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for SortedMap<K, V> {
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

/// A map, as `BTreeMap` serializes: its entries in key order.
impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for SortedMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// A map, as `BTreeMap` deserializes: a key given twice keeps its last value.
impl<'de, K, V> serde::Deserialize<'de> for SortedMap<K, V>
where
    K: Ord + serde::Deserialize<'de>,
    V: serde::Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K, V> serde::de::Visitor<'de> for Entries<K, V>
        where
            K: Ord + serde::Deserialize<'de>,
            V: serde::Deserialize<'de>,
        {
            type Value = SortedMap<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(SortedMap::from_entries(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_as_a_btree_map() {
        let mut ours = SortedMap::new();
        let mut theirs = BTreeMap::new();
        let mut seed = 7u64;
        for _ in 0..5_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (seed >> 33) % 97;
            match seed % 4 {
                0 | 1 => assert_eq!(ours.insert(key, seed), theirs.insert(key, seed)),
                2 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
                _ => assert_eq!(ours.get(&key), theirs.get(&key)),
            }
            assert_eq!(ours.len(), theirs.len());
        }
        assert!(ours.iter().eq(theirs.iter()));
        let mut string_keyed: SortedMap<String, u8> = SortedMap::new();
        string_keyed.insert("b".into(), 2);
        string_keyed.insert("a".into(), 1);
        assert_eq!(string_keyed.get("a"), Some(&1));
        assert_eq!(string_keyed.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    /// What `Object` (a `SortedMap<String, Value>` since issue #24) keeps of `BTreeMap`'s
    /// API: iteration by reference, `extend`, `map[key]`, and serde as a map, a key given
    /// twice keeping its last value.
    #[test]
    fn keeps_the_btree_map_api_an_object_needs() {
        let pairs = [("b", 2), ("a", 1), ("c", 3), ("a", 4)];
        let ours: SortedMap<String, i32> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let theirs: BTreeMap<String, i32> =
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert!((&ours).into_iter().eq(&theirs));
        assert_eq!(ours["a"], theirs["a"]);
        let mut extended = ours.clone();
        extended.extend([("d".to_string(), 5), ("b".to_string(), 6)]);
        let mut theirs_extended = theirs.clone();
        theirs_extended.extend([("d".to_string(), 5), ("b".to_string(), 6)]);
        assert!(extended.iter().eq(theirs_extended.iter()));
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        let text = r#"{"z":1,"y":2,"z":3}"#;
        let back: SortedMap<String, i32> = serde_json::from_str(text).unwrap();
        let theirs_back: BTreeMap<String, i32> = serde_json::from_str(text).unwrap();
        assert!(back.iter().eq(theirs_back.iter()));
        assert!(serde_json::from_str::<SortedMap<String, i32>>("[1]").is_err());
    }

    /// `from_entries` (what deserializing a map builds with) gives what `collect` into a
    /// `BTreeMap` gives, for keys in any order with duplicates, in O(n log n).
    #[test]
    fn from_entries_is_collect_into_a_btree_map() {
        let mut seed = 11u64;
        for len in [0u64, 1, 2, 3, 7, 64, 1000] {
            let entries: Vec<(u64, u64)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) % (len / 2 + 1), i)
                })
                .collect();
            let theirs: BTreeMap<u64, u64> = entries.iter().copied().collect();
            let ours = SortedMap::from_entries(entries.clone());
            assert!(
                ours.iter().map(|(k, v)| (*k, *v)).eq(theirs.into_iter()),
                "{len}"
            );
            let descending: Vec<(u64, u64)> = (0..len).rev().map(|k| (k, k)).collect();
            assert!(SortedMap::from_entries(descending)
                .keys()
                .copied()
                .eq(0..len));
        }
    }
}
