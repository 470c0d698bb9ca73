//! BASE: where the previous spec comes from (a file, or a git commit), and reading it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, anyhow};

use super::SPEC;

/// Where the previous spec comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Base {
    File(PathBuf),
    Git { rev: String, label: String },
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Base::File(p) => write!(f, "{}", p.display()),
            Base::Git { label, .. } => f.write_str(label),
        }
    }
}

/// An existing file (relative to the current directory or the workspace) is read as is; anything
/// else is a git ref. Without BASE: the merge base of HEAD with `main`, or `HEAD` on main itself.
pub fn resolve_base(root: &Path, arg: Option<&str>) -> anyhow::Result<Base> {
    if let Some(arg) = arg {
        let path = Path::new(arg);
        for candidate in [path.to_owned(), root.join(path)] {
            if candidate.is_file() {
                return Ok(Base::File(candidate));
            }
        }
        return Ok(Base::Git {
            rev: arg.to_owned(),
            label: arg.to_owned(),
        });
    }
    let merge_base = git(root, &["merge-base", "HEAD", "main"]).map_err(|e| {
        anyhow!(
            "cannot find the merge base of HEAD and main ({e}); pass BASE, e.g. `cargo xtask spec-diff origin/main`"
        )
    })?;
    let head = git(root, &["rev-parse", "HEAD"]).map_err(|e| anyhow!("git rev-parse HEAD: {e}"))?;
    let (merge_base, head) = (merge_base.trim(), head.trim());
    Ok(if merge_base == head {
        Base::Git {
            rev: "HEAD".into(),
            label: "HEAD".into(),
        }
    } else {
        Base::Git {
            rev: merge_base.into(),
            label: format!(
                "the merge base of HEAD and main ({})",
                &merge_base[..merge_base.len().min(10)]
            ),
        }
    })
}

impl Base {
    /// The old spec's text; `None` when the spec did not exist at that commit.
    pub fn read(&self, root: &Path) -> anyhow::Result<Option<String>> {
        match self {
            Base::File(path) => std::fs::read_to_string(path)
                .map(Some)
                .with_context(|| format!("reading {}", path.display())),
            Base::Git { rev, .. } => {
                let commit = git(
                    root,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("{rev}^{{commit}}"),
                    ],
                )
                .map_err(|e| {
                    anyhow!("BASE `{rev}` is neither an existing file nor a git commit ({e})")
                })?;
                let object = format!("{}:{SPEC}", commit.trim());
                if git(root, &["cat-file", "-e", &object]).is_err() {
                    return Ok(None);
                }
                git(root, &["show", &object])
                    .map(Some)
                    .map_err(|e| anyhow!("git show {rev}:{SPEC}: {e}"))
            }
        }
    }
}

/// Runs git in the workspace; the error is git's stderr (or why it could not start).
fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        String::from_utf8(out.stdout).map_err(|e| format!("git output is not UTF-8: {e}"))
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        Err(if stderr.is_empty() {
            format!("git {} failed: {}", args.join(" "), out.status)
        } else {
            stderr
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_resolution() {
        let root = crate::codegen::workspace_root();
        let spec = root.join(super::SPEC);
        let base = resolve_base(&root, Some(spec.to_str().unwrap())).unwrap();
        assert_eq!(base, Base::File(spec.clone()));
        assert_eq!(
            base.read(&root).unwrap().as_deref(),
            Some(std::fs::read_to_string(&spec).unwrap().as_str())
        );
        // Relative to the workspace, wherever cargo runs.
        assert_eq!(
            resolve_base(&root, Some(super::SPEC)).unwrap(),
            Base::File(spec)
        );
        // Not a file: a git ref.
        let base = resolve_base(&root, Some("no-such-ref-xyz")).unwrap();
        assert_eq!(
            base,
            Base::Git {
                rev: "no-such-ref-xyz".into(),
                label: "no-such-ref-xyz".into()
            }
        );
        let err = base.read(&root).unwrap_err().to_string();
        assert!(
            err.contains("neither an existing file nor a git commit"),
            "{err}"
        );
    }
}
