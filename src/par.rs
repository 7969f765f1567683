//! `map`: runs a pure function over a slice on a few threads, results in order.
//!
//! The environments of a project are independent from loading to rendering,
//! and a machine has more than one core: the shipped project's three
//! environments render side by side. The number of threads is bounded by the
//! machine's parallelism (never one thread per item, which a hostile project
//! with thousands of specs would turn into thousands of threads), and the
//! result is in the slice's order, so output does not depend on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `items.iter().map(f).collect()`, on up to `available_parallelism` threads.
/// A panic in `f` is re-raised on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    // Each worker takes the next index until none is left, and returns what it
    // computed with the indices; the caller puts the results back in order.
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break done };
            done.push((i, f(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..500).collect();
        let out = map(&items, |n| {
            // Uneven work, so threads finish out of order.
            for _ in 0..(n % 7) * 1000 {
                std::hint::black_box(n);
            }
            *n
        });
        assert_eq!(out, items);
    }

    #[test]
    fn an_empty_slice_gives_an_empty_result() {
        let out: Vec<u8> = map(&[] as &[u8], |b| *b);
        assert!(out.is_empty());
    }
}
