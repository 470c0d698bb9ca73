//! The crates' version follows the spec's `info.version`: the root `Cargo.toml` carries it in
//! `[workspace.package]` and in the `iamport-*` entries of `[workspace.dependencies]`.

use super::Output;
use crate::spec::Spec;

pub const PATH: &str = "Cargo.toml";

pub fn generate(spec: &Spec, current: &str) -> Output {
    Output {
        path: PATH.into(),
        contents: sync(current, &spec.openapi.info.version),
    }
}

/// Rewrites the version fields and nothing else, so the rest of the file stays hand-written.
fn sync(manifest: &str, version: &str) -> String {
    let mut section = "";
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            section = if trimmed.starts_with("[workspace.package]") {
                "package"
            } else if trimmed.starts_with("[workspace.dependencies]") {
                "dependencies"
            } else {
                ""
            };
        }
        let rewritten = match section {
            "package" if trimmed.starts_with("version") && trimmed.contains('=') => {
                Some(replace_quoted_after(line, "version", version))
            }
            "dependencies" if trimmed.starts_with("iamport-") && line.contains("version") => {
                Some(replace_quoted_after(line, "version", version))
            }
            _ => None,
        };
        out.push_str(rewritten.as_deref().unwrap_or(line));
    }
    out
}

/// Replaces the first quoted string after `key` on the line.
fn replace_quoted_after(line: &str, key: &str, value: &str) -> String {
    let Some(k) = line.find(key) else {
        return line.to_owned();
    };
    let after = &line[k..];
    let (Some(open), Some(close)) = (
        after.find('"'),
        after[after.find('"').map_or(0, |i| i + 1)..].find('"'),
    ) else {
        return line.to_owned();
    };
    let start = k + open + 1;
    let end = start + close;
    format!("{}{}{}", &line[..start], value, &line[end..])
}

#[cfg(test)]
mod tests {
    use super::sync;

    #[test]
    fn rewrites_only_the_version_fields() {
        let manifest = "[workspace.package]\nversion = \"1.0.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\niamport-client = { path = \"crates/iamport-client\", version = \"1.0.0\" }\nserde = { version = \"1\" }\n";
        let out = sync(manifest, "2.1.0");
        assert_eq!(
            out,
            manifest
                .replace(
                    "version = \"1.0.0\"\nedition",
                    "version = \"2.1.0\"\nedition"
                )
                .replace(
                    "iamport-client\", version = \"1.0.0\"",
                    "iamport-client\", version = \"2.1.0\""
                )
        );
        assert!(out.contains("serde = { version = \"1\" }"));
    }
}
