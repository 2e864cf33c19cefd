//! Lists without repeats, each item where it first appears, built in linear time. Manifests
//! name thousands of paths (`file:` dependencies, `replace` lines, Maven modules), and a
//! `Vec::contains` per item made planning them quadratic: seconds to minutes for a hostile
//! manifest.

use std::collections::BTreeSet;

/// A list that takes each item once, in the order items first came: a `Vec` with the set of
/// what it holds beside it, so that asking "seen?" costs a set lookup, not a scan.
#[derive(Clone, Debug)]
pub struct FirstOfEach<T> {
    items: Vec<T>,
    seen: BTreeSet<T>,
}

impl<T: Ord + Clone> FirstOfEach<T> {
    /// Starts from `items` exactly as they are (repeats among them are kept, as a caller that
    /// only checked later items against them had it); later pushes skip anything in them.
    pub fn starting_with(items: Vec<T>) -> Self {
        let seen = items.iter().cloned().collect();
        FirstOfEach { items, seen }
    }

    /// Adds `item` unless it is already there; whether it was added.
    pub fn push(&mut self, item: T) -> bool {
        let added = self.seen.insert(item.clone());
        if added {
            self.items.push(item);
        }
        added
    }

    /// The items, in the order they first came.
    pub fn into_vec(self) -> Vec<T> {
        self.items
    }
}

impl<T: Ord + Clone> Default for FirstOfEach<T> {
    fn default() -> Self {
        FirstOfEach::starting_with(Vec::new())
    }
}

impl<T: Ord + Clone> Extend<T> for FirstOfEach<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.push(item);
        }
    }
}

impl<T: Ord + Clone> FromIterator<T> for FirstOfEach<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut out = FirstOfEach::default();
        out.extend(items);
        out
    }
}

/// `items` without repeats, each where it first appears.
pub fn first_of_each<T: Ord + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    items.into_iter().collect::<FirstOfEach<T>>().into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_appearances_in_order() {
        assert_eq!(first_of_each(["b", "a", "b", "c", "a"]), ["b", "a", "c"]);
        let mut list = FirstOfEach::starting_with(vec!["x", "x", "y"]);
        assert!(!list.push("y"));
        assert!(list.push("z"));
        list.extend(["x", "w", "z"]);
        assert_eq!(list.into_vec(), ["x", "x", "y", "z", "w"]);
    }

    #[test]
    fn twenty_thousand_items_with_repeats() {
        let items = (0..40_000).map(|i| format!("p{}", (i * 7) % 20_000));
        let out = first_of_each(items);
        assert_eq!(out.len(), 20_000);
        assert_eq!(out[..3], ["p0", "p7", "p14"]);
    }
}
