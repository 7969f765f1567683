//! Where a command prints: the console the outer layer hands to [`crate::run`]
//! (its own module, so commands and `run` both use it without importing each
//! other).

use std::io::Write;

use crate::error::Style;

/// Where a command prints, and whether in colour.
pub struct Console<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub style: Style,
    /// Whether reports on `out` may be coloured (`--color auto`).
    pub color_out: bool,
    /// The process exits right after this run (the binary): large results
    /// are left for the operating system to reclaim instead of being freed
    /// one allocation at a time. Tests, which run many commands in one
    /// process, leave it off.
    pub exits_after: bool,
}

impl Console<'_> {
    /// Drops `value`, or, when the process exits next, leaves it to the
    /// operating system.
    pub fn release<T>(&self, value: T) {
        if self.exits_after {
            std::mem::forget(value);
        }
    }
}
