//! The library entry point: parse arguments, run a command, print its error in
//! the one place errors are printed, and return the exit code. Tests call this
//! in-process.

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands;
pub use crate::console::Console;
use crate::error::{exit, render_error};

/// Runs futurestack with `args` (the first one is the program name) and returns
/// the exit code (see [`exit`]).
pub fn run<I, T>(args: I, console: &mut Console) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let text = err.render().to_string();
            let target: &mut dyn Write = if err.use_stderr() {
                &mut *console.err
            } else {
                &mut *console.out
            };
            let _ = target.write_all(text.as_bytes());
            return code;
        }
    };
    let root = cli.directory.clone();
    // `check`/`diff --format github`: spec problems are annotations too.
    let github = matches!(
        &cli.command,
        Command::Check(a) | Command::Diff(a) if a.format == crate::output::ReportFormat::Github
    );
    let result = match cli.command {
        Command::Generate(args) => commands::generate::run(&root, args, console),
        Command::Check(args) => commands::check::run(&root, args, console),
        Command::Diff(args) => commands::diff::run(&root, args, console),
        Command::Validate(args) => commands::validate::run(&root, args, console),
        Command::Schema(args) => commands::schema::run(&root, args, console),
        Command::Init => commands::init::run(&root, console),
        Command::Import(args) => commands::import::run(&root, args, console),
        Command::Graph(args) => commands::graph::run(&root, args, console),
        Command::Render(args) => commands::render::run(&root, args, console),
        Command::Cost(args) => commands::cost::run(&root, args, console),
        Command::Completions(args) => commands::shell::completions(args, console),
        Command::Man(args) => commands::shell::man(args, console),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if let (true, crate::error::Error::Invalid { diagnostics, .. }) = (github, &err) {
                let _ = console
                    .out
                    .write_all(crate::output::annotations::diagnostics(diagnostics).as_bytes());
            }
            let _ = console
                .err
                .write_all(render_error(&err, console.style).as_bytes());
            err.exit_code()
        }
    }
}
