//! Keeps the sandbox's maps bounded, so hammering it cannot grow its memory without end: when
//! a map is full, its oldest entries go.

use std::collections::HashMap;
use std::hash::Hash;

/// Makes room for one more entry in `map`, keeping it at most `cap` entries (at least 1).
///
/// When it is full, the oldest eighth (smallest `age`) goes at once, so a map under pressure
/// costs one pass over it per `cap / 8` inserts rather than one per insert. Entries as old as
/// the cut-off go too, so a little more may go.
pub fn make_room<K: Eq + Hash, V, T: Ord + Copy>(
    map: &mut HashMap<K, V>,
    cap: usize,
    age: impl Fn(&V) -> T,
) {
    let cap = cap.max(1);
    if map.len() < cap {
        return;
    }
    let remove = (map.len() + 1 - cap).max(cap.div_ceil(8));
    let mut ages: Vec<T> = map.values().map(&age).collect();
    let (_, cut_off, _) = ages.select_nth_unstable(remove - 1);
    let cut_off = *cut_off;
    map.retain(|_, v| age(v) > cut_off);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_drops_its_oldest_eighth() {
        let mut map: HashMap<u32, u32> = HashMap::new();
        for i in 0..100_000u32 {
            make_room(&mut map, 800, |age| *age);
            map.insert(i, i);
            assert!(map.len() <= 800);
        }
        // The newest entries are the ones kept.
        assert!(map.contains_key(&99_999));
        assert!(!map.contains_key(&0));
        assert!(map.len() > 700);
    }

    #[test]
    fn a_zero_cap_still_keeps_the_newest() {
        let mut map: HashMap<u32, u32> = HashMap::new();
        for i in 0..10 {
            make_room(&mut map, 0, |age| *age);
            map.insert(i, i);
        }
        assert_eq!(map.len(), 1);
    }
}
