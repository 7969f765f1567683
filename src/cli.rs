//! Command-line interface (clap derive). Doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  check failed: generated files are out of date, or a spec is invalid
  2  usage error, or the tool could not run (unreadable files, broken templates)";

/// Compile one typed spec per environment into docker-compose and every other
/// deployment artifact of the Future stack, consistently.
#[derive(Debug, Parser)]
#[command(name = "futurestack", version, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    /// Run as if started in DIR (the project root).
    #[arg(
        short = 'C',
        long = "directory",
        global = true,
        value_name = "DIR",
        default_value = "."
    )]
    pub directory: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the generated files of every environment to `golden/<env>/`.
    #[command(
        after_help = "Examples:\n  futurestack generate\n  futurestack generate --env prod\n  futurestack generate environments/prod.yaml --out build"
    )]
    Generate(GenerateArgs),
    /// Fail (exit 1) when generated files on disk are missing, stale or orphaned.
    #[command(
        after_help = "Examples:\n  futurestack check            # in CI\n  futurestack check --env prod"
    )]
    Check(ReportArgs),
    /// Show how generated files on disk differ from what the specs generate (exit 0).
    #[command(
        after_help = "Examples:\n  futurestack diff\n  futurestack diff --format markdown > comment.md\n  futurestack diff --env staging --color always | less -R"
    )]
    Diff(ReportArgs),
    /// Check specs without generating anything.
    #[command(
        after_help = "Examples:\n  futurestack validate\n  futurestack validate environments/prod.yaml"
    )]
    Validate(ValidateArgs),
    /// Scaffold `environments/` with a commented example stack.
    #[command(
        after_help = "Examples:\n  mkdir myapp && cd myapp && futurestack init && futurestack generate"
    )]
    Init,
    /// Turn an existing docker-compose file into a spec, marking what it could not map.
    #[command(
        after_help = "Examples:\n  futurestack import docker-compose.yml > environments/imported.yaml\n  futurestack import /opt/production/docker-compose.yml --stack future"
    )]
    Import(ImportArgs),
    /// Print what each environment needs, the smallest host that fits it, and
    /// what it costs a month, from the price table its spec names.
    #[command(
        after_help = "Examples:\n  futurestack cost\n  futurestack cost --env prod --format json"
    )]
    Cost(CostArgs),
    /// Print one environment's generated files (or one target's, or one file) to stdout, writing nothing.
    #[command(
        after_help = "Examples:\n  futurestack render --env prod docker-compose.yml\n  futurestack render --env prod --target monitoring\n  futurestack render --env staging | less"
    )]
    Render(RenderArgs),
    /// Print the dependency graph of each environment.
    #[command(
        after_help = "Examples:\n  futurestack graph --env prod\n  futurestack graph --env prod --format dot | dot -Tsvg > prod.svg"
    )]
    Graph(GraphArgs),
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  futurestack completions bash > /etc/bash_completion.d/futurestack\n  futurestack completions zsh > ~/.zfunc/_futurestack"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff): futurestack(1), or a subcommand's futurestack-<command>(1).
    #[command(
        after_help = "Examples:\n  futurestack man > futurestack.1 && man ./futurestack.1\n  futurestack man generate > futurestack-generate.1"
    )]
    Man(ManArgs),
    /// Write the JSON Schema of the spec (for editors) to `schema/futurestack.schema.json`.
    #[command(after_help = "Examples:\n  futurestack schema\n  futurestack schema --stdout")]
    Schema(SchemaArgs),
}

/// Which specs to work on.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Spec files to use instead of every `*.yaml` in the environments folder.
    #[arg(value_name = "SPEC")]
    pub specs: Vec<PathBuf>,

    /// Only this environment (the spec's file name without `.yaml`); repeatable.
    #[arg(long = "env", value_name = "NAME", add = crate::completion::env_completer())]
    pub envs: Vec<String>,

    /// Folder holding the environment specs.
    #[arg(long, value_name = "DIR", default_value = "environments")]
    pub environments: PathBuf,

    /// Treat warnings as errors (exit 1, nothing written).
    #[arg(long)]
    pub deny_warnings: bool,

    /// Let `extends` (and specs in the environments folder) read files outside
    /// the project root, links included.
    #[arg(long)]
    pub allow_outside_root: bool,

    /// The YAML parser's budget: values per spec file, aliases counted each
    /// time they are used (at least one per two bytes of the file).
    #[arg(long, value_name = "N", default_value_t = crate::load::yaml::DEFAULT_MAX_NODES)]
    pub yaml_max_nodes: usize,

    /// Judge image lifecycles (end of life, FS175) as of this day, `YYYY-MM-DD`,
    /// instead of today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<String>,
}

/// `--target`'s values: the names of [`crate::targets::Target::ALL`] (shells
/// complete them).
fn target_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::targets::Target::ALL.iter().map(|t| t.name()))
}

fn parse_date(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        Err("expected a date as YYYY-MM-DD".to_owned())
    }
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub specs: SpecArgs,

    /// Output folder; each environment gets `<DIR>/<env>/`.
    #[arg(long, value_name = "DIR", default_value = "golden")]
    pub out: PathBuf,

    /// Folder of templates overriding the built-in ones, file by file
    /// (same relative paths as `templates/` in the source tree, such as
    /// `compose/docker-compose.yml.j2`); a `.j2` file at any other path is an
    /// error that lists the paths.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// How `check` and `diff` report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// Report format: `text`, `markdown` (a pull-request comment), `json`, or
    /// `github` (workflow commands that annotate the changed files).
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::output::ReportFormat,

    /// Colour the text report: `auto` (on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// Write only the files of this target (repeatable); the others, and files
    /// no longer generated, stay as they are until a full `generate`.
    #[arg(long, value_name = "TARGET", value_parser = target_names())]
    pub target: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub specs: SpecArgs,

    /// How to print problems: `text` for people, `json` for machines and editors.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiagnosticFormat,

    /// Also print each environment's host-port map and capacity budget.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub specs: SpecArgs,

    /// `text` for people, `json` (the content of each environment's `cost.json`) for machines.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiagnosticFormat,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnosticFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The compose file to read.
    pub compose: PathBuf,

    /// Stack name of the spec (default: the compose project name, or `imported`).
    #[arg(long)]
    pub stack: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The environment (required: one environment's files at a time).
    #[arg(long, value_name = "NAME", add = crate::completion::env_completer())]
    pub env: String,

    /// Only the files of this target.
    #[arg(long, value_name = "TARGET", value_parser = target_names())]
    pub target: Option<String>,

    /// Folder holding the specs.
    #[arg(long, value_name = "DIR", default_value = "environments")]
    pub environments: std::path::PathBuf,

    /// Folder of templates overriding the built-in ones (as for `generate`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<std::path::PathBuf>,

    /// Let specs, `extends` and template overrides come from outside the project root.
    #[arg(long)]
    pub allow_outside_root: bool,

    /// One file, by its path in the environment's output folder (`docker-compose.yml`).
    pub file: Option<String>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub specs: SpecArgs,

    /// Graph language.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
}

/// Graph languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Mermaid (rendered by GitHub and GitLab).
    Mermaid,
    /// Graphviz dot.
    Dot,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand, for its own page (the main page lists them as `futurestack-<command>(1)`).
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema instead of writing it.
    #[arg(long)]
    pub stdout: bool,

    /// Fail (exit 1) if the committed schema is not what the types generate.
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
}
