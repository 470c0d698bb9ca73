//! `cargo xtask upstream-diff FILE [--allow ALLOWFILE] [--format json]`: what PortOne's own Swagger
//! 2.0 description of the V1 API (FILE, e.g. the vendored `spec/upstream/openapi.json`) says that
//! `spec/iamport.yaml` does not, and the reverse, by facts rather than text, so that a new upstream
//! version shows what to take.
//!
//! Compared ([`compare`]): operations by (method, path) (never by operationId: upstream repeats
//! two, and a differing id is itself a difference); per operation its parameters and body fields
//! by where they go (upstream `formData`, or the properties of an `in: body` schema, are our request
//! body's properties, whatever its media types), each with its type (and format where both say one),
//! enum values, required-ness, and array items below it (`body.products[].name`); its response
//! statuses; per success status the fields of the envelope's `response` (`response.cancel_history[].amount`),
//! following `$ref` and `allOf` on both sides ([`schema`]). Upstream's known errors (`maxLength:
//! "16"`, `items: "string"`, `required` naming absent properties, arrays without items, ...) are
//! read charitably, and shown only beside a difference they explain.
//!
//! Each difference has a stable id (printed in brackets); the allow-list ([`allow`], default
//! `spec/upstream/allow.toml`) names the ones we keep on purpose, each with its `why`. Unlisted
//! differences and stale entries fail the command.
//!
//! Files: [`load`] reads documents, [`facts`] is the common model, [`upstream`] and [`ours`] read
//! either document into it, [`report`] prints.

mod allow;
mod compare;
mod facts;
mod load;
mod ours;
mod report;
mod schema;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_real;
mod upstream;

use std::path::{Path, PathBuf};

use anyhow::bail;

pub use allow::AllowList;
use load::Doc;

pub const OURS: &str = "spec/iamport.yaml";
pub const ALLOW: &str = "spec/upstream/allow.toml";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub struct Args {
    pub upstream: PathBuf,
    pub allow: Option<PathBuf>,
    pub format: Format,
    pub ours: Option<PathBuf>,
}

pub fn run(root: &Path, args: &Args) -> anyhow::Result<()> {
    let shown = |p: &Path| p.display().to_string();
    let upstream_path = root.join(&args.upstream);
    let ours_path = root.join(args.ours.as_deref().unwrap_or(Path::new(OURS)));
    let allow_rel = args.allow.clone().unwrap_or_else(|| PathBuf::from(ALLOW));
    let upstream = Doc::read(&upstream_path, &shown(&args.upstream))?;
    let ours = Doc::read(
        &ours_path,
        &shown(ours_path.strip_prefix(root).unwrap_or(&ours_path)),
    )?;
    let allow = AllowList::read(&root.join(&allow_rel), &shown(&allow_rel))?;

    let report = diff(&upstream, &ours, &allow)?;
    match args.format {
        Format::Text => print!(
            "{}",
            report::text(&report, (&upstream.file, &ours.file), &shown(&allow_rel))
        ),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if report.failed() {
        bail!(
            "{} difference(s) from upstream not in {} and {} stale allow-list entr{}: take them \
             into {OURS}, or allow them with a reason",
            report.differences.len(),
            shown(&allow_rel),
            report.stale.len(),
            if report.stale.len() == 1 { "y" } else { "ies" }
        );
    }
    Ok(())
}

pub fn diff(upstream: &Doc, ours: &Doc, allow: &AllowList) -> anyhow::Result<report::Report> {
    let up = upstream::read(upstream)?;
    let our = ours::read(ours)?;
    let operations = (up.len(), our.len());
    Ok(report::Report::new(
        compare::compare(&up, &our),
        allow,
        operations,
    ))
}
