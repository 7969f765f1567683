//! `futurestack completions` and `futurestack man`: shell integration, derived
//! from the same clap definitions as `--help`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::console::Console;
use crate::error::{Error, exit};

/// The shell's registration script: it asks `futurestack` itself for each
/// completion (`COMPLETE=<shell>`, handled in `main`), so `--env` completes
/// the environments of the folder the shell is in, `--target` the targets.
pub fn completions(args: CompletionsArgs, console: &mut Console) -> Result<u8, Error> {
    use clap_complete::env::Shells;
    let name = args.shell.to_string();
    let shells = Shells::builtins();
    let shell = shells
        .completer(&name)
        .ok_or_else(|| Error::Usage(format!("no completion for the shell `{name}`")))?;
    let bin = Cli::command().get_name().to_owned();
    shell
        .write_registration("COMPLETE", &bin, &bin, &bin, &mut console.out)
        .map_err(|err| Error::io("<stdout>", err))?;
    Ok(exit::OK)
}

/// The main page, or the page of one subcommand (named `futurestack-<command>`,
/// as the main page refers to it).
pub fn man(args: ManArgs, console: &mut Console) -> Result<u8, Error> {
    let mut command = Cli::command();
    // Built, so clap's own `help` subcommand (which the main page lists) is there.
    command.build();
    let page = match &args.command {
        None => clap_mangen::Man::new(command),
        Some(name) => {
            let names: Vec<String> = command
                .get_subcommands()
                .map(|c| c.get_name().to_owned())
                .collect();
            let Some(sub) = command.find_subcommand(name).cloned() else {
                return Err(Error::Usage(format!(
                    "no subcommand `{}`; pages exist for {}",
                    name.escape_debug(),
                    names.join(", ")
                )));
            };
            let title = format!("futurestack-{}", sub.get_name());
            let bin = format!("futurestack {}", sub.get_name());
            let sub = sub.bin_name(bin);
            clap_mangen::Man::new(sub).title(title)
        }
    };
    page.render(&mut console.out)
        .map_err(|err| Error::io("<stdout>", err))?;
    Ok(exit::OK)
}
