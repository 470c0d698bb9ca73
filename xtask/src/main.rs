//! Workspace automation (the cargo-xtask convention): `cargo xtask <command>`.

mod bench;
mod codegen;
mod spec;
mod spec_diff;
mod upstream_diff;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Automation for the iamport workspace", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the client, mock and server crates from spec/iamport.yaml.
    Codegen {
        /// Change nothing; fail when a generated file differs from what the spec gives.
        #[arg(long)]
        check: bool,
        /// Read this spec (relative to the workspace root, or absolute) instead of spec/iamport.yaml,
        /// to see how the checks answer it; the comparison then only shows the differences.
        #[arg(long, hide = true)]
        spec: Option<std::path::PathBuf>,
    },
    /// Compare spec/iamport.yaml with a previous version and fail on breaking changes for client
    /// users unless info.version's major went up.
    SpecDiff {
        /// A git ref, or the path of a spec file. Default: the merge base of HEAD with `main`
        /// (HEAD itself when on main, so uncommitted edits are what is compared).
        base: Option<String>,
    },
    /// Compare spec/iamport.yaml with PortOne's upstream Swagger 2.0 file by facts (operations,
    /// parameters, fields, statuses); fail on differences not in the allow-list.
    UpstreamDiff {
        /// The upstream file, e.g. spec/upstream/openapi.json (paths: relative to the workspace
        /// root, or absolute).
        file: std::path::PathBuf,
        /// The allow-list (default spec/upstream/allow.toml).
        #[arg(long)]
        allow: Option<std::path::PathBuf>,
        /// `text` (by operation, then a summary) or `json`.
        #[arg(long, value_enum, default_value_t)]
        format: upstream_diff::Format,
        /// Compare this spec instead of spec/iamport.yaml.
        #[arg(long, hide = true)]
        ours: Option<std::path::PathBuf>,
    },
    /// Measure the generated server, the client and codegen against baselines of the same run, and
    /// write BENCHMARKS.md (quick by default).
    Bench {
        /// The long run: more rounds, longer loads, more repetitions.
        #[arg(long)]
        full: bool,
        /// Instead, the cold `cargo build` of a user's program with iamport-client against the same
        /// program with reqwest + serde (2 rounds, 4 with --full; minutes each); updates only its
        /// row and section of BENCHMARKS.md.
        #[arg(long, conflicts_with = "prism")]
        compile: bool,
        /// Instead, the sandbox binary against Stoplight Prism (from .ci/prism, installed with
        /// `npm ci --prefix .ci/prism --ignore-scripts`) on spec/iamport.yaml: the same requests and
        /// load at both (about a minute; 5 rounds of 10 s with --full); updates only its rows and
        /// section of BENCHMARKS.md.
        #[arg(long)]
        prism: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = codegen::workspace_root();
    let result = match cli.command {
        Command::Codegen { check, spec } => codegen::run(&root, check, spec.as_deref()),
        Command::SpecDiff { base } => spec_diff::run(&root, base.as_deref()),
        Command::UpstreamDiff {
            file,
            allow,
            format,
            ours,
        } => upstream_diff::run(
            &root,
            &upstream_diff::Args {
                upstream: file,
                allow,
                format,
                ours,
            },
        ),
        Command::Bench { full, compile, .. } if compile => bench::compile::run(&root, full),
        Command::Bench { full, prism, .. } if prism => bench::prism::run(&root, full),
        Command::Bench { full, .. } => bench::run(&root, full),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
