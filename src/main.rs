//! The `futurestack` binary: a thin shell around [`futurestack::run`].

use std::io::{IsTerminal, Write};

use futurestack::error::Style;

fn main() {
    // `COMPLETE=bash futurestack` and the shell's callbacks: completes and exits.
    clap_complete::CompleteEnv::with_factory(|| {
        <futurestack::cli::Cli as clap::CommandFactory>::command()
    })
    .complete();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let style = if std::io::stderr().is_terminal() && !no_color {
        Style::Color
    } else {
        Style::Plain
    };
    let color_out = std::io::stdout().is_terminal() && !no_color;
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let code = {
        let mut console = futurestack::Console {
            out: &mut out,
            err: &mut err,
            style,
            color_out,
            exits_after: true,
        };
        futurestack::run(std::env::args_os(), &mut console)
    };
    // `exit` runs no destructors: flush what is buffered first.
    let _ = out.flush();
    let _ = err.flush();
    std::process::exit(i32::from(code));
}
