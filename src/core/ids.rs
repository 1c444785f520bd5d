//! [`IdSet`]: the one set the core keeps (custom ids, batch ids, cursors).
//!
//! A hash set of byte strings with open addressing, insertion-ordered. Not `BTreeSet`: each key
//! type of it brought its own copy of the B-tree code, 12.7 KB of wasm for four sets.

/// A set of byte strings, in insertion order; each member has the index it was inserted at.
#[derive(Debug, Clone, Default)]
pub struct IdSet {
    keys: Vec<Box<[u8]>>,
    /// Index + 1 of the key in each slot, 0 for empty; a power of two, at most half full.
    slots: Vec<u32>,
}

impl IdSet {
    /// An empty set.
    pub fn new() -> Self {
        IdSet::default()
    }

    /// Adds `key`; false when it was already there.
    pub fn insert(&mut self, key: &[u8]) -> bool {
        self.index_of_or_insert(key).1
    }

    /// The index of `key`, inserting it when absent (then `true`).
    pub fn index_of_or_insert(&mut self, key: &[u8]) -> (usize, bool) {
        if let Some(index) = self.index_of(key) {
            return (index, false);
        }
        if (self.keys.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let index = self.keys.len();
        self.keys.push(key.into());
        place(&mut self.slots, key, index);
        (index, true)
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.index_of(key).is_some()
    }

    /// The index `key` was inserted at.
    pub fn index_of(&self, key: &[u8]) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut slot = hash(key) & mask;
        loop {
            match *self.slots.get(slot)? {
                0 => return None,
                n => {
                    let index = n as usize - 1;
                    if self.keys.get(index).is_some_and(|k| **k == *key) {
                        return Some(index);
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The members, in the order they were inserted.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|k| &**k)
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Empties the set, keeping its memory.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.slots.iter_mut().for_each(|s| *s = 0);
    }

    fn grow(&mut self) {
        let mut slots = vec![0; (self.slots.len() * 2).max(16)];
        for (index, key) in self.keys.iter().enumerate() {
            place(&mut slots, key, index);
        }
        self.slots = slots;
    }
}

/// Puts `index` in the first free slot for `key` (there is one: the table is at most half full).
fn place(slots: &mut [u32], key: &[u8], index: usize) {
    let mask = slots.len().wrapping_sub(1);
    let mut slot = hash(key) & mask;
    while let Some(s) = slots.get_mut(slot) {
        if *s == 0 {
            *s = index as u32 + 1;
            return;
        }
        slot = (slot + 1) & mask;
    }
}

/// FNV-1a, folded to usize. The keys are the caller's own ids, so there is no adversary to resist.
fn hash(key: &[u8]) -> usize {
    let h = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    (h ^ (h >> 32)) as usize
}

#[cfg(test)]
mod tests {
    use super::IdSet;

    #[test]
    fn agrees_with_a_btreeset_through_growth_and_clearing() {
        let mut set = IdSet::new();
        let mut reference = std::collections::BTreeSet::new();
        for round in 0..3 {
            for i in 0..5_000u32 {
                // Repeats, prefixes of each other, and the empty key.
                let key = format!("req-{}", (i * 7919 + round) % 3_001).into_bytes();
                let key = if i % 977 == 0 { Vec::new() } else { key };
                assert_eq!(set.insert(&key), reference.insert(key.clone()), "{key:?}");
                assert!(set.contains(&key));
            }
            assert_eq!(set.len(), reference.len());
            assert!(!set.contains(b"req-3001") && !set.contains(b"absent"));
            let mut members: Vec<Vec<u8>> = set.iter().map(<[u8]>::to_vec).collect();
            members.sort();
            assert_eq!(members, reference.iter().cloned().collect::<Vec<_>>());
            set.clear();
            reference.clear();
            assert!(set.is_empty() && !set.contains(b"req-1"));
        }
    }

    #[test]
    fn indexes_follow_insertion_order() {
        let mut set = IdSet::new();
        assert_eq!(set.index_of_or_insert(b"b"), (0, true));
        assert_eq!(set.index_of_or_insert(b"a"), (1, true));
        assert_eq!(set.index_of_or_insert(b"b"), (0, false));
        assert_eq!(set.index_of(b"a"), Some(1));
        assert_eq!(set.iter().collect::<Vec<_>>(), [b"b".as_slice(), b"a"]);
    }
}
