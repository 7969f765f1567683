//! Fuzz target: any bytes as a spec go through load → validate → render without
//! panicking. Run with `cargo +nightly fuzz run load` (see README).

#![no_main]

use std::path::Path;

use futurestack::load::{self, ReadSource, Sources};
use futurestack::pipeline;
use futurestack::render::Templates;
use libfuzzer_sys::fuzz_target;

struct One<'a>(&'a str);

impl ReadSource for One<'_> {
    fn read(&self, _: &Path) -> std::io::Result<String> {
        Ok(self.0.to_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(loaded) = load::load(Path::new("env.yaml"), "env.yaml", &One(text), &mut Sources::default()) else { return };
    let analysis = pipeline::analyze(&loaded);
    if let (false, Some(stack)) = (analysis.has_errors(), analysis.stack.as_ref()) {
        let _ = pipeline::render(stack, &Templates::default());
    }
});
