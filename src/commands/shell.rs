//! `futurestack completions` and `futurestack man`: shell integration, derived
//! from the same clap definitions as `--help`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, exit};
use crate::run::Console;

pub fn completions(args: CompletionsArgs, console: &mut Console) -> Result<u8, Error> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "futurestack", &mut console.out);
    Ok(exit::OK)
}

pub fn man(console: &mut Console) -> Result<u8, Error> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut console.out)
        .map_err(|err| Error::io("<stdout>", err))?;
    Ok(exit::OK)
}
