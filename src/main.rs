//! The `futurestack` binary: a thin shell around [`futurestack::run`].

use std::io::IsTerminal;

use futurestack::error::Style;

fn main() {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = if color { Style::Color } else { Style::Plain };
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut console = futurestack::Console {
        out: &mut out,
        err: &mut err,
        style,
    };
    let code = futurestack::run(std::env::args_os(), &mut console);
    drop(console);
    std::process::exit(i32::from(code));
}
