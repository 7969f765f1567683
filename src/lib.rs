//! futurestack: compiles one typed spec per environment into every deployment
//! artifact of the Future stack. See ARCHITECTURE.md for the map.
//!
//! The pipeline runs one way: [`load`] → [`schema`] and [`validate`] → [`model`] →
//! [`targets`] (via [`render`]) → [`output`]. Only [`project`], [`fs_reader`], [`output`],
//! [`commands`] and [`run`] touch the file system or the terminal.

pub mod cli;
pub mod commands;
pub mod completion;
pub mod console;
pub mod cost;
pub mod error;
pub mod explain;
pub mod fs_reader;
pub mod graph;
pub mod impact;
pub mod import;
pub mod load;
pub mod model;
pub mod output;
pub mod par;
pub mod pipeline;
pub mod project;
pub mod render;
pub mod run;
pub mod schema;
pub mod shell;
pub mod spec;
pub mod suggest;
pub mod targets;
pub mod validate;

pub use console::Console;
pub use run::run;
