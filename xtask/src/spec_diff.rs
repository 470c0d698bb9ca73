//! `cargo xtask spec-diff [BASE]`: what an edit of `spec/iamport.yaml` does to the users of the
//! generated client (and its mocks), and a gate: a breaking change needs a new major `info.version`.
//!
//! The comparison is Oxide's `drift`. Its classes describe two programs talking across versions:
//! `BackwardIncompatible` = the new document breaks a consumer written against the old one (a
//! removed operation, a new required parameter, a new response code); `ForwardIncompatible` = the
//! old document cannot serve a consumer written against the new one (an added operation or optional
//! parameter, a removed response code); `Incompatible` = both. Our user upgrades from the crates
//! generated from the old spec to those generated from the new one, so:
//!
//! - `BackwardIncompatible`, `Incompatible`: breaking.
//! - `ForwardIncompatible`: compatible when it only adds (an operation); breaking when it removes
//!   what the generated code exposed (a response status: the mocks' method for it; a request body)
//!   or touches request inputs, because the client is positional: a new optional parameter is a new
//!   method argument, a parameter turned optional turns `T` into `Option<T>`.
//! - `Trivial`: compatible. `Unhandled`: breaking, since drift could not tell, unless the
//!   supplement below explains the same schema node.
//!
//! The supplement covers what drift misses or leaves `Unhandled` (the tests show each case):
//! operationId renames (drift pairs operations by path and method; the id is the method name),
//! added vs removed properties and required flips, narrowed vs widened constraints (maxLength,
//! enum, ...), `nullable` flips (drift ignores them), security requirement changes, and media type
//! changes (drift panics on them, so they are reported here and left out of drift's input).
//! Before any of it, both documents lose a representation-only difference that blinds drift: a
//! `type` beside a single-member `allOf` (see `normalize`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use anyhow::{Context as _, anyhow};
use drift::{ChangeClass, ChangeComparison, ChangeDetails};
use heck::ToSnakeCase;
use serde_json::Value;

const SPEC: &str = "spec/iamport.yaml";

pub fn run(root: &Path, base: Option<&str>) -> anyhow::Result<()> {
    let base = resolve_base(root, base)?;

    let new_text =
        std::fs::read_to_string(root.join(SPEC)).with_context(|| format!("reading {SPEC}"))?;
    crate::spec::parse(Path::new(SPEC), &new_text)?;
    let new = parse_yaml(&new_text).with_context(|| format!("{SPEC} is not valid YAML"))?;

    let Some(old_text) = base.read(root)? else {
        println!("{SPEC} did not exist at {base}: everything in it is new (compatible)");
        return Ok(());
    };
    let old =
        parse_yaml(&old_text).with_context(|| format!("the spec at {base} is not valid YAML"))?;

    println!("comparing {SPEC}: {base} -> working tree");
    let findings = diff(&old, &new)?;
    for f in &findings {
        println!("{f}");
    }
    if findings.is_empty() {
        println!(
            "no changes{}",
            if old == new {
                ""
            } else {
                " (the documents differ only in what drift and the supplement do not compare: \
                 descriptions of operations, examples, info, servers, or in representation)"
            }
        );
        return Ok(());
    }
    println!("{}", summary(&findings));
    match gate(&findings, &version_of(&old), &version_of(&new)) {
        Ok(note) => {
            if let Some(note) = note {
                println!("{note}");
            }
            Ok(())
        }
        Err(failure) => Err(anyhow!(failure)),
    }
}

fn parse_yaml(text: &str) -> anyhow::Result<Value> {
    Ok(yaml_serde::from_str(text)?)
}

// ---------------------------------------------------------------------------------------------
// BASE

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

// ---------------------------------------------------------------------------------------------
// Findings and the gate

/// One change, classified for a user of the generated client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub breaking: bool,
    /// JSON pointer into the new document (the old one for what was removed).
    pub pointer: String,
    pub message: String,
    /// Where the change is felt, e.g. `request of POST /users/getToken`.
    pub context: BTreeSet<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let verdict = if self.breaking {
            "BREAKING"
        } else {
            "compatible"
        };
        write!(f, "{verdict:<10} {}: {}", self.pointer, self.message)?;
        if !self.context.is_empty() {
            let context: Vec<&str> = self.context.iter().map(String::as_str).collect();
            write!(f, " [{}]", context.join("; "))?;
        }
        Ok(())
    }
}

fn version_of(doc: &Value) -> String {
    match doc.pointer("/info/version") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The part of a version that cargo's semver compatibility looks at: the major, or below 1.0.0
/// the leftmost non-zero component.
fn compat_key(version: &str) -> Option<(u64, u64, u64)> {
    let core = version
        .trim()
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()?;
    let mut parts = core.split('.').map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some(if major > 0 {
        (major, 0, 0)
    } else if minor > 0 {
        (0, minor, 0)
    } else {
        (0, 0, patch)
    })
}

fn next_major(version: &str) -> String {
    match compat_key(version) {
        Some((major, 0, 0)) if major > 0 => format!("{}.0.0", major + 1),
        Some((0, minor, 0)) if minor > 0 => format!("0.{}.0", minor + 1),
        Some((_, _, patch)) => format!("0.0.{}", patch + 1),
        None => "a new major version".into(),
    }
}

/// `N breaking, M compatible`
pub fn summary(findings: &[Finding]) -> String {
    let breaking = findings.iter().filter(|f| f.breaking).count();
    format!(
        "{breaking} breaking, {} compatible",
        findings.len() - breaking
    )
}

/// Passes (with a note when breaking changes come with a new major version) or fails with what
/// broke and how to proceed.
pub fn gate(
    findings: &[Finding],
    old_version: &str,
    new_version: &str,
) -> Result<Option<String>, String> {
    let breaking: Vec<&Finding> = findings.iter().filter(|f| f.breaking).collect();
    if breaking.is_empty() {
        return Ok(None);
    }
    let bumped = matches!(
        (compat_key(old_version), compat_key(new_version)),
        (Some(old), Some(new)) if new > old
    );
    if bumped {
        return Ok(Some(format!(
            "note: the breaking changes are allowed: info.version went from {old_version} to \
             {new_version}, a new major version (run `cargo xtask codegen` so the crates carry it)"
        )));
    }
    let mut out = format!(
        "{SPEC} has {} breaking change{} for client users, but info.version did not get \
         a new major version ({old_version} -> {new_version}):\n",
        breaking.len(),
        if breaking.len() == 1 { "" } else { "s" }
    );
    for f in &breaking {
        out.push_str(&format!("  {f}\n"));
    }
    out.push_str(&format!(
        "To proceed, either\n  - make the change compatible (keep what was removed or renamed, make \
         a new request property optional, widen instead of narrowing), or\n  - bump the major \
         version of info.version in {SPEC} (e.g. {old_version} -> {}) and run `cargo xtask \
         codegen`, which carries the version into the crates.",
        next_major(old_version)
    ));
    Err(out)
}

// ---------------------------------------------------------------------------------------------
// The comparison

/// Every change from `old` to `new`, merged and sorted by pointer.
pub fn diff(old: &Value, new: &Value) -> anyhow::Result<Vec<Finding>> {
    let (mut old, mut new) = (old.clone(), new.clone());
    normalize(&mut old);
    normalize(&mut new);
    let mut findings = reconcile_media_types(&mut old, &mut new);

    let mut walk = Walk {
        old: &old,
        new: &new,
        findings: Vec::new(),
        explained: HashSet::new(),
        seen: HashSet::new(),
    };
    for (o, n) in common_operations(&old, &new) {
        walk.operation(&o, &n);
    }
    let Walk {
        findings: own,
        explained,
        ..
    } = walk;
    findings.extend(own);

    match std::panic::catch_unwind(|| drift::compare(&old, &new)) {
        Ok(changes) => {
            let changes = changes.context("drift could not read the documents")?;
            findings.extend(from_drift(&changes, &explained));
        }
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            findings.push(Finding {
                breaking: true,
                pointer: "#".into(),
                message: format!(
                    "drift failed while comparing ({why}); the changes cannot be classified, treated as breaking"
                ),
                context: BTreeSet::new(),
            });
        }
    }

    let mut merged: BTreeMap<(String, String, bool), BTreeSet<String>> = BTreeMap::new();
    for f in findings {
        merged
            .entry((f.pointer, f.message, f.breaking))
            .or_default()
            .extend(f.context);
    }
    Ok(merged
        .into_iter()
        .map(|((pointer, message, breaking), context)| Finding {
            breaking,
            pointer,
            message,
            context,
        })
        .collect())
}

/// Representation-only differences, removed from both documents before comparing: a `type` beside
/// a single-member `allOf`/`anyOf`/`oneOf` that repeats the member's type (OpenAPI 3.0.3 wants it
/// there for `nullable` to apply; openapiv3 then reads the schema as "any", which drift reports as
/// an incompatible kind change), and a `type` beside `enum: [null]` (only null is allowed anyway).
fn normalize(doc: &mut Value) {
    fn visit(root: &Value, node: &mut Value) {
        match node {
            Value::Object(map) => {
                let redundant = map.get("type").is_some_and(|ty| {
                    let only_null = map
                        .get("enum")
                        .and_then(Value::as_array)
                        .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_null));
                    let wrapped = ["allOf", "anyOf", "oneOf"]
                        .into_iter()
                        .find_map(|kw| match map.get(kw) {
                            Some(Value::Array(items)) if items.len() == 1 => Some(&items[0]),
                            _ => None,
                        });
                    only_null
                        || wrapped.is_some_and(|inner| {
                            resolve(root, String::new(), inner).1.get("type") == Some(ty)
                        })
                });
                if redundant {
                    map.remove("type");
                }
                map.values_mut().for_each(|v| visit(root, v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| visit(root, v)),
            _ => {}
        }
    }
    let snapshot = doc.clone();
    visit(&snapshot, doc);
}

/// drift's `Unhandled` messages that the walk below analyses in full for the same schema node.
const REFINED_BY_WALK: &[&str] = &[
    "object properties changed",
    "object required properties changed",
    "object minProperties changed",
    "object maxProperties changed",
    "string schema changed",
    "integer schema changed",
    "number schema changed",
    "boolean schema changed",
    "array minItems changed",
    "array maxItems changed",
    "array uniqueItems changed",
];

fn from_drift(changes: &[drift::Change], explained: &HashSet<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    for change in changes {
        let Some(first) = change.paths.first() else {
            continue;
        };
        let inputs = change
            .paths
            .iter()
            .any(|p| p.comparison == ChangeComparison::Input);
        let context: BTreeSet<String> = change
            .paths
            .iter()
            .filter_map(|p| {
                let endpoint = endpoint_label(p.new.endpoint_base().or(p.old.endpoint_base())?);
                Some(match p.comparison {
                    ChangeComparison::Input => format!("request of {endpoint}"),
                    ChangeComparison::Output => format!("response of {endpoint}"),
                    ChangeComparison::Structural => endpoint,
                })
            })
            .collect();
        for info in &change.changes {
            let old_pointer = drift_pointer(&first.old, &info.old_subpath);
            let new_pointer = drift_pointer(&first.new, &info.new_subpath);
            if info.class == ChangeClass::Unhandled
                && REFINED_BY_WALK.contains(&info.message.as_str())
                && (explained.contains(&old_pointer) || explained.contains(&new_pointer))
            {
                continue;
            }
            let (breaking, note) = match info.class {
                ChangeClass::Trivial => (false, None),
                ChangeClass::BackwardIncompatible | ChangeClass::Incompatible => (true, None),
                ChangeClass::Unhandled => (
                    true,
                    Some("drift cannot classify this change; treated as breaking"),
                ),
                ChangeClass::ForwardIncompatible if info.details == ChangeDetails::Removed => (
                    true,
                    Some("the generated client or mocks lose what they had for it"),
                ),
                ChangeClass::ForwardIncompatible if inputs => (
                    true,
                    Some("the arguments of the positional client method change"),
                ),
                ChangeClass::ForwardIncompatible => (false, None),
            };
            let removed = info.details == ChangeDetails::Removed || new_pointer == "#/paths";
            out.push(Finding {
                breaking,
                pointer: if removed { old_pointer } else { new_pointer },
                message: match note {
                    Some(note) => format!("{} ({note})", info.message),
                    None => info.message.clone(),
                },
                context: context.clone(),
            });
        }
    }
    out
}

fn drift_pointer(stack: &drift::JsonPathStack, subpath: &str) -> String {
    let (base, _) = stack.base_and_subpath();
    let pointer = if subpath.is_empty() {
        base.to_owned()
    } else {
        format!("{base}/{subpath}")
    };
    // drift names this segment after openapiv3's field, not the document's key.
    pointer.replace("/request_body/", "/requestBody/")
}

/// `#/paths/~1users~1getToken/post` → `POST /users/getToken`.
fn endpoint_label(pointer: &str) -> String {
    let rest = pointer.strip_prefix("#/paths/").unwrap_or(pointer);
    let mut segments = rest.split('/');
    let path = unescape(segments.next().unwrap_or_default());
    match segments.next() {
        Some(method) => format!("{} {path}", method.to_uppercase()),
        None => path,
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

// ---------------------------------------------------------------------------------------------
// Operations, paired as drift pairs them

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

struct Op<'a> {
    /// `POST /users/getToken`
    label: String,
    /// `#/paths/~1users~1getToken/post`
    pointer: String,
    item_pointer: String,
    item: &'a Value,
    op: &'a Value,
}

/// Operations in both documents, keyed like drift: path with parameter names erased, method.
fn common_operations<'a>(old: &'a Value, new: &'a Value) -> Vec<(Op<'a>, Op<'a>)> {
    fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Op<'_>> {
        let mut out = BTreeMap::new();
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let item_pointer = format!("#/paths/{}", escape(path));
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let mut route = String::new();
                    let mut in_param = false;
                    for c in path.chars() {
                        match c {
                            '{' => {
                                in_param = true;
                                route.push_str("{}");
                            }
                            '}' => in_param = false,
                            c if !in_param => route.push(c),
                            _ => {}
                        }
                    }
                    out.insert(
                        (route, method),
                        Op {
                            label: format!("{} {path}", method.to_uppercase()),
                            pointer: format!("{item_pointer}/{method}"),
                            item_pointer: item_pointer.clone(),
                            item,
                            op,
                        },
                    );
                }
            }
        }
        out
    }
    let mut new_ops = operations(new);
    operations(old)
        .into_iter()
        .filter_map(|(key, o)| Some((o, new_ops.remove(&key)?)))
        .collect()
}

/// Follows `$ref`s within the document; returns the pointer and node reached.
fn resolve<'a>(doc: &'a Value, mut pointer: String, mut node: &'a Value) -> (String, &'a Value) {
    for _ in 0..32 {
        let Some(target) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(found) = target.strip_prefix('#').and_then(|p| doc.pointer(p)) else {
            break;
        };
        pointer = target.to_owned();
        node = found;
    }
    (pointer, node)
}

/// Media type → (pointer, schema) of a request body or response's content.
fn content_schemas<'a>(
    doc: &'a Value,
    pointer: String,
    node: &'a Value,
) -> BTreeMap<String, (String, &'a Value)> {
    let (pointer, node) = resolve(doc, pointer, node);
    let mut out = BTreeMap::new();
    for (media, value) in node
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(schema) = value.get("schema") {
            out.insert(
                media.clone(),
                (
                    format!("{pointer}/content/{}/schema", escape(media)),
                    schema,
                ),
            );
        }
    }
    out
}

/// drift asserts that a request body or response keeps the same media types, each with or
/// without a schema (it panics otherwise). Report such changes here (as breaking: nothing compares
/// them) and drop the unmatched media types from both copies so drift can compare the rest.
fn reconcile_media_types(old: &mut Value, new: &mut Value) -> Vec<Finding> {
    struct Pair {
        old: String,
        new: String,
        what: String,
        context: String,
    }
    let mut pairs = Vec::new();
    for (o, n) in common_operations(old, new) {
        let mut push = |old_node: (String, &Value), new_node: (String, &Value), what, context| {
            let (old_pointer, _) = resolve(old, old_node.0, old_node.1);
            let (new_pointer, _) = resolve(new, new_node.0, new_node.1);
            pairs.push(Pair {
                old: format!("{old_pointer}/content"),
                new: format!("{new_pointer}/content"),
                what,
                context,
            });
        };
        if let (Some(ob), Some(nb)) = (o.op.get("requestBody"), n.op.get("requestBody")) {
            push(
                (format!("{}/requestBody", o.pointer), ob),
                (format!("{}/requestBody", n.pointer), nb),
                "the request body".to_owned(),
                format!("request of {}", n.label),
            );
        }
        let (Some(or), Some(nr)) = (o.op.get("responses"), n.op.get("responses")) else {
            continue;
        };
        for (status, ov) in or.as_object().into_iter().flatten() {
            if let Some(nv) = nr.get(status) {
                push(
                    (format!("{}/responses/{status}", o.pointer), ov),
                    (format!("{}/responses/{status}", n.pointer), nv),
                    format!("response {status}"),
                    format!("response of {}", n.label),
                );
            }
        }
    }

    fn media(doc: &Value, pointer: &str) -> BTreeMap<String, bool> {
        doc.pointer(&pointer[1..])
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.get("schema").is_some()))
            .collect()
    }
    fn strip(doc: &mut Value, pointer: &str, media: &str) {
        if let Some(map) = doc
            .pointer_mut(&pointer[1..])
            .and_then(Value::as_object_mut)
        {
            map.remove(media);
        }
    }

    let mut findings = Vec::new();
    let note = "drift cannot compare media type changes; treated as breaking";
    for pair in pairs {
        let (old_media, new_media) = (media(old, &pair.old), media(new, &pair.new));
        let mut finding = |pointer: String, message: String| {
            findings.push(Finding {
                breaking: true,
                pointer,
                message: format!("{message} ({note})"),
                context: BTreeSet::from([pair.context.clone()]),
            })
        };
        for (media_type, had_schema) in &old_media {
            match new_media.get(media_type) {
                None => {
                    finding(
                        format!("{}/{}", pair.old, escape(media_type)),
                        format!("{} no longer has media type {media_type}", pair.what),
                    );
                    strip(old, &pair.old, media_type);
                }
                Some(has_schema) if has_schema != had_schema => {
                    finding(
                        format!("{}/{}", pair.new, escape(media_type)),
                        format!(
                            "{} {media_type}: the schema was {}",
                            pair.what,
                            if *has_schema { "added" } else { "removed" }
                        ),
                    );
                    strip(old, &pair.old, media_type);
                    strip(new, &pair.new, media_type);
                }
                Some(_) => {}
            }
        }
        for media_type in new_media.keys().filter(|m| !old_media.contains_key(*m)) {
            finding(
                format!("{}/{}", pair.new, escape(media_type)),
                format!("{} gained media type {media_type}", pair.what),
            );
            strip(new, &pair.new, media_type);
        }
    }
    findings
}

// ---------------------------------------------------------------------------------------------
// The walk: a paired descent through what each operation sends and receives

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Dir {
    Request,
    Response,
}

struct Walk<'a> {
    old: &'a Value,
    new: &'a Value,
    findings: Vec<Finding>,
    /// Schema nodes (old and new pointers) whose property, required and constraint changes the
    /// walk reported; drift's `Unhandled` notes on them are superseded.
    explained: HashSet<String>,
    seen: HashSet<(String, Dir, String, String)>,
}

/// How a change of one constraint moves the set of valid values.
enum Shift {
    Narrowed,
    Widened,
    /// Not comparable (`pattern`, `multipleOf`) or changes the generated type (`format`).
    Opaque,
}

impl<'a> Walk<'a> {
    fn push(&mut self, breaking: bool, pointer: String, message: String, context: String) {
        self.findings.push(Finding {
            breaking,
            pointer,
            message,
            context: BTreeSet::from([context]),
        });
    }

    fn operation(&mut self, o: &Op<'a>, n: &Op<'a>) {
        let (old, new) = (self.old, self.new);
        let request = format!("request of {}", n.label);
        let response = format!("response of {}", n.label);

        // The operationId is the client method's name (and the mocks').
        let (old_id, new_id) = (
            o.op.get("operationId").and_then(Value::as_str),
            n.op.get("operationId").and_then(Value::as_str),
        );
        if old_id != new_id {
            let method = |id: Option<&str>| id.map_or("(none)".into(), |id| id.to_snake_case());
            self.push(
                true,
                format!("{}/operationId", n.pointer),
                format!(
                    "operationId renamed from {} to {}: the client method {} becomes {}",
                    old_id.unwrap_or("(none)"),
                    new_id.unwrap_or("(none)"),
                    method(old_id),
                    method(new_id),
                ),
                n.label.clone(),
            );
        }

        self.security(o, n);

        // Parameters, path-level then operation-level (which overrides), by location and name.
        let params = |doc: &'a Value, op: &Op<'a>| {
            let mut out: BTreeMap<(String, String), (String, &'a Value)> = BTreeMap::new();
            for (pointer, owner) in [(&op.item_pointer, op.item), (&op.pointer, op.op)] {
                let list = owner.get("parameters").and_then(Value::as_array);
                for (i, p) in list.into_iter().flatten().enumerate() {
                    let (pointer, p) = resolve(doc, format!("{pointer}/parameters/{i}"), p);
                    let field = |k| {
                        p.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    if let Some(schema) = p.get("schema") {
                        out.insert(
                            (field("in"), field("name")),
                            (format!("{pointer}/schema"), schema),
                        );
                    }
                }
            }
            out
        };
        let new_params = params(new, n);
        for (key, old_schema) in params(old, o) {
            if let Some(new_schema) = new_params.get(&key) {
                self.schema(&request, Dir::Request, old_schema, new_schema.clone());
            }
        }

        if let (Some(ob), Some(nb)) = (o.op.get("requestBody"), n.op.get("requestBody")) {
            let new_media = content_schemas(new, format!("{}/requestBody", n.pointer), nb);
            for (media, old_schema) in
                content_schemas(old, format!("{}/requestBody", o.pointer), ob)
            {
                if let Some(new_schema) = new_media.get(&media) {
                    self.schema(&request, Dir::Request, old_schema, new_schema.clone());
                }
            }
        }

        let (Some(or), Some(nr)) = (o.op.get("responses"), n.op.get("responses")) else {
            return;
        };
        for (status, ov) in or.as_object().into_iter().flatten() {
            let Some(nv) = nr.get(status) else { continue };
            let new_media = content_schemas(new, format!("{}/responses/{status}", n.pointer), nv);
            for (media, old_schema) in
                content_schemas(old, format!("{}/responses/{status}", o.pointer), ov)
            {
                if let Some(new_schema) = new_media.get(&media) {
                    self.schema(&response, Dir::Response, old_schema, new_schema.clone());
                }
            }
        }
    }

    /// Breaking when a way of authenticating that satisfied the old requirements no longer does.
    fn security(&mut self, o: &Op<'a>, n: &Op<'a>) {
        fn requirements(doc: &Value, op: &Value) -> Vec<BTreeSet<String>> {
            let list = op.get("security").or_else(|| doc.get("security"));
            list.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|alt| {
                    alt.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .collect()
        }
        let (old, new) = (requirements(self.old, o.op), requirements(self.new, n.op));
        if old == new {
            return;
        }
        let satisfied =
            |have: &BTreeSet<String>| new.is_empty() || new.iter().any(|r| r.is_subset(have));
        let old_ways = if old.is_empty() {
            vec![BTreeSet::new()]
        } else {
            old.clone()
        };
        let lost: Vec<String> = old_ways
            .iter()
            .filter(|way| !satisfied(way))
            .map(|way| {
                if way.is_empty() {
                    "no credentials".to_owned()
                } else {
                    way.iter().cloned().collect::<Vec<_>>().join(" + ")
                }
            })
            .collect();
        let (breaking, message) = if lost.is_empty() {
            (
                false,
                "security requirements changed; every old way of authenticating still works"
                    .to_owned(),
            )
        } else {
            (
                true,
                format!(
                    "security requirements changed; no longer enough: {}",
                    lost.join(", ")
                ),
            )
        };
        self.push(
            breaking,
            format!("{}/security", n.pointer),
            message,
            n.label.clone(),
        );
    }

    fn schema(
        &mut self,
        context: &str,
        dir: Dir,
        old: (String, &'a Value),
        new: (String, &'a Value),
    ) {
        let site = new.0.clone();
        let (op, on, old_nullable) = unwrap_schema(self.old, old.0, old.1);
        let (np, nn, new_nullable) = unwrap_schema(self.new, new.0, new.1);
        if !self
            .seen
            .insert((context.to_owned(), dir, op.clone(), np.clone()))
        {
            return;
        }

        // drift compares `nullable` but records nothing when only it differs.
        if old_nullable != new_nullable {
            let (breaking, message) = match (dir, new_nullable) {
                (Dir::Response, true) => (true, "may now be null"),
                (Dir::Response, false) => (false, "is no longer null"),
                (Dir::Request, true) => (false, "now accepts null"),
                (Dir::Request, false) => (true, "no longer accepts null"),
            };
            self.push(
                breaking,
                format!("{site}/nullable"),
                message.into(),
                context.into(),
            );
        }

        // A different type is drift's ("schema types changed", "schema kind changed").
        if on.get("type") != nn.get("type") {
            return;
        }
        self.constraints(context, dir, (&op, on), (&np, nn));
        self.object(context, dir, (&op, on), (&np, nn));
        for key in ["items", "additionalProperties"] {
            if let (Some(oi @ Value::Object(_)), Some(ni @ Value::Object(_))) =
                (on.get(key), nn.get(key))
            {
                self.schema(
                    context,
                    dir,
                    (format!("{op}/{key}"), oi),
                    (format!("{np}/{key}"), ni),
                );
            }
        }
    }

    fn constraints(
        &mut self,
        context: &str,
        dir: Dir,
        (op, on): (&str, &Value),
        (np, nn): (&str, &Value),
    ) {
        const UPPER: [&str; 4] = ["maxLength", "maxItems", "maxProperties", "maximum"];
        const LOWER: [&str; 4] = ["minLength", "minItems", "minProperties", "minimum"];
        const FLAGS: [&str; 3] = ["exclusiveMaximum", "exclusiveMinimum", "uniqueItems"];
        const OPAQUE: [&str; 3] = ["format", "pattern", "multipleOf"];

        let mut shifts: Vec<(String, Shift, String)> = Vec::new();
        let show = |v: Option<&Value>| v.map_or("none".to_owned(), Value::to_string);
        for key in UPPER.iter().chain(&LOWER).chain(&FLAGS).chain(&OPAQUE) {
            let (o, n) = (on.get(*key), nn.get(*key));
            if o == n {
                continue;
            }
            let number = |v: Option<&Value>| v.and_then(Value::as_f64);
            let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
            let shift = if UPPER.contains(key) || LOWER.contains(key) {
                let tighter = match (number(o), number(n)) {
                    (None, None) => continue,
                    (None, Some(_)) => true,
                    (Some(_), None) => false,
                    (Some(o), Some(n)) if UPPER.contains(key) => n < o,
                    (Some(o), Some(n)) => n > o,
                };
                if tighter {
                    Shift::Narrowed
                } else {
                    Shift::Widened
                }
            } else if FLAGS.contains(key) {
                match (flag(o), flag(n)) {
                    (false, true) => Shift::Narrowed,
                    (true, false) => Shift::Widened,
                    _ => continue,
                }
            } else {
                // A pattern or multipleOf that appears narrows, one that goes widens; two patterns
                // cannot be compared. A new format changes the generated type.
                match (o, n) {
                    (None, Some(_)) if *key != "format" => Shift::Narrowed,
                    (Some(_), None) if *key != "format" => Shift::Widened,
                    _ => Shift::Opaque,
                }
            };
            shifts.push((
                format!("{np}/{key}"),
                shift,
                format!("{key} {} -> {}", show(o), show(n)),
            ));
        }

        let (oe, ne) = (
            on.get("enum").and_then(Value::as_array),
            nn.get("enum").and_then(Value::as_array),
        );
        if oe != ne {
            let pointer = format!("{np}/enum");
            match (oe, ne) {
                (None, Some(_)) => shifts.push((pointer, Shift::Narrowed, "enum added".into())),
                (Some(_), None) => shifts.push((pointer, Shift::Widened, "enum removed".into())),
                (Some(oe), Some(ne)) => {
                    let list = |vs: Vec<&Value>| {
                        vs.iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let gone: Vec<&Value> = oe.iter().filter(|v| !ne.contains(v)).collect();
                    let added: Vec<&Value> = ne.iter().filter(|v| !oe.contains(v)).collect();
                    if !gone.is_empty() {
                        shifts.push((
                            pointer.clone(),
                            Shift::Narrowed,
                            format!("enum no longer has {}", list(gone)),
                        ));
                    }
                    if !added.is_empty() {
                        shifts.push((
                            pointer,
                            Shift::Widened,
                            format!("enum gained {}", list(added)),
                        ));
                    }
                }
                (None, None) => {}
            }
        }

        for (pointer, shift, what) in shifts {
            let (breaking, message) = match (shift, dir) {
                (Shift::Narrowed, Dir::Request) => (
                    true,
                    format!("{what}: narrowed (values old callers send may now be refused)"),
                ),
                (Shift::Narrowed, Dir::Response) => (false, format!("{what}: narrowed")),
                (Shift::Widened, Dir::Request) => (false, format!("{what}: widened")),
                (Shift::Widened, Dir::Response) => (
                    true,
                    format!("{what}: widened (old clients may refuse what is now sent)"),
                ),
                (Shift::Opaque, _) => (
                    true,
                    format!(
                        "{what}: changes the values or their generated type; treated as breaking"
                    ),
                ),
            };
            self.push(breaking, pointer, message, context.into());
            self.explained.insert(op.to_owned());
            self.explained.insert(np.to_owned());
        }
    }

    fn object(
        &mut self,
        context: &str,
        dir: Dir,
        (op, on): (&str, &'a Value),
        (np, nn): (&str, &'a Value),
    ) {
        let properties = |v: &'a Value| v.get("properties").and_then(Value::as_object);
        let required = |v: &Value| -> BTreeSet<String> {
            v.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        };
        let (old_props, new_props) = (properties(on), properties(nn));
        if old_props.is_none() && new_props.is_none() {
            return;
        }
        static EMPTY: LazyLock<serde_json::Map<String, Value>> = LazyLock::new(Default::default);
        let (old_props, new_props) = (old_props.unwrap_or(&EMPTY), new_props.unwrap_or(&EMPTY));
        let (old_req, new_req) = (required(on), required(nn));
        let mut found = Vec::new();

        for name in old_props.keys().filter(|k| !new_props.contains_key(*k)) {
            found.push((
                true,
                format!("{op}/properties/{}", escape(name)),
                format!("property `{name}` removed"),
            ));
        }
        for name in new_props.keys().filter(|k| !old_props.contains_key(*k)) {
            let pointer = format!("{np}/properties/{}", escape(name));
            found.push(match (dir, new_req.contains(name)) {
                (Dir::Request, true) => (
                    true,
                    pointer,
                    format!("new required request property `{name}`"),
                ),
                (Dir::Request, false) => (
                    false,
                    pointer,
                    format!("new optional request property `{name}`"),
                ),
                (Dir::Response, _) => (false, pointer, format!("new response property `{name}`")),
            });
        }
        for name in old_props.keys().filter(|k| new_props.contains_key(*k)) {
            let pointer = format!("{np}/properties/{}", escape(name));
            match (dir, old_req.contains(name), new_req.contains(name)) {
                (Dir::Request, false, true) => found.push((
                    true,
                    pointer,
                    format!("request property `{name}` is now required"),
                )),
                (Dir::Request, true, false) => found.push((
                    false,
                    pointer,
                    format!("request property `{name}` is now optional"),
                )),
                (Dir::Response, true, false) => found.push((
                    true,
                    pointer,
                    format!("response property `{name}` may now be absent"),
                )),
                (Dir::Response, false, true) => found.push((
                    false,
                    pointer,
                    format!("response property `{name}` is now always present"),
                )),
                _ => {}
            }
        }
        // `required` naming something that is not a property on either side.
        if old_req
            .iter()
            .chain(&new_req)
            .any(|r| !old_props.contains_key(r) && !new_props.contains_key(r))
            && old_req != new_req
        {
            found.push((
                true,
                format!("{np}/required"),
                "required lists a property that is not defined; treated as breaking".into(),
            ));
        }

        if !found.is_empty() {
            self.explained.insert(op.to_owned());
            self.explained.insert(np.to_owned());
        }
        for (breaking, pointer, message) in found {
            self.push(breaking, pointer, message, context.into());
        }

        for (name, old_schema) in old_props {
            if let Some(new_schema) = new_props.get(name) {
                let segment = escape(name);
                self.schema(
                    context,
                    dir,
                    (format!("{op}/properties/{segment}"), old_schema),
                    (format!("{np}/properties/{segment}"), new_schema),
                );
            }
        }
    }
}

/// Follows `$ref`s and single-element `allOf`/`anyOf`/`oneOf` wrappers (as drift does) to the
/// schema that carries the type; `nullable` is true if any wrapper or the target says so.
fn unwrap_schema<'a>(
    doc: &'a Value,
    pointer: String,
    node: &'a Value,
) -> (String, &'a Value, bool) {
    let (mut pointer, mut node) = resolve(doc, pointer, node);
    let mut nullable = false;
    for _ in 0..32 {
        nullable |= node
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let single = ["allOf", "anyOf", "oneOf"]
            .into_iter()
            .find_map(|kw| match node.get(kw) {
                Some(Value::Array(items)) if items.len() == 1 => Some((kw, &items[0])),
                _ => None,
            });
        let Some((kw, inner)) = single else { break };
        (pointer, node) = resolve(doc, format!("{pointer}/{kw}/0"), inner);
    }
    (pointer, node, nullable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = include_str!("../../spec/iamport.yaml");

    fn yaml(text: &str) -> Value {
        yaml_serde::from_str(text).unwrap()
    }

    /// The real spec with `from` replaced by `to` (once; it must be there).
    fn variant(from: &str, to: &str) -> String {
        assert!(SPEC.contains(from), "not in the spec: {from:?}");
        SPEC.replacen(from, to, 1)
    }

    /// The real spec without the text from `start` up to (not including) `end`.
    fn without(start: &str, end: &str) -> String {
        let a = SPEC.find(start).expect(start);
        let b = a + SPEC[a..].find(end).expect(end);
        format!("{}{}", &SPEC[..a], &SPEC[b..])
    }

    fn findings(new: &str) -> Vec<Finding> {
        diff(&yaml(SPEC), &yaml(new)).unwrap()
    }

    /// What drift alone says: (class, message) per change.
    /// What drift alone says (class, message) when given what `diff` gives it: the normalized
    /// documents (see `raw_drift` for the documents as written).
    fn drift_alone(new: &str) -> Vec<(ChangeClass, String)> {
        let (mut old, mut new) = (yaml(SPEC), yaml(new));
        normalize(&mut old);
        normalize(&mut new);
        drift_on(&old, &new)
    }

    fn raw_drift(old: &str, new: &str) -> Vec<(ChangeClass, String)> {
        drift_on(&yaml(old), &yaml(new))
    }

    fn drift_on(old: &Value, new: &Value) -> Vec<(ChangeClass, String)> {
        drift::compare(old, new)
            .unwrap()
            .iter()
            .flat_map(|c| c.changes.iter().map(|i| (i.class, i.message.clone())))
            .collect()
    }

    fn lines(fs: &[Finding]) -> String {
        fs.iter().map(|f| format!("{f}\n")).collect()
    }

    /// The one finding that contains `needle`; asserts its verdict.
    #[track_caller]
    fn expect(fs: &[Finding], needle: &str, breaking: bool) -> Finding {
        let hits: Vec<&Finding> = fs
            .iter()
            .filter(|f| f.to_string().contains(needle))
            .collect();
        assert_eq!(hits.len(), 1, "{needle:?} in:\n{}", lines(fs));
        assert_eq!(hits[0].breaking, breaking, "{}", hits[0]);
        hits[0].clone()
    }

    #[track_caller]
    fn all_compatible(fs: &[Finding]) {
        assert!(!fs.is_empty());
        assert!(fs.iter().all(|f| !f.breaking), "{}", lines(fs));
    }

    #[test]
    fn the_same_spec_has_no_changes() {
        assert_eq!(findings(SPEC), vec![]);
        assert_eq!(gate(&[], "1.0.0", "1.0.0"), Ok(None));
    }

    #[test]
    fn removed_operation_is_breaking_drift() {
        let new = without("  /users/getToken:\n", "  /payments/");
        assert_eq!(
            drift_alone(&new),
            vec![(
                ChangeClass::BackwardIncompatible,
                "The operation getToken was removed".into()
            )]
        );
        let f = expect(&findings(&new), "The operation getToken was removed", true);
        assert_eq!(f.pointer, "#/paths/~1users~1getToken/post");
        assert_eq!(findings(&new).len(), 1);
    }

    #[test]
    fn removed_response_status_is_breaking_although_drift_calls_it_forward_only() {
        let new = without("        '404':\n", "        '500':\n");
        assert_eq!(
            drift_alone(&new),
            vec![(
                ChangeClass::ForwardIncompatible,
                "operation no longer responds with status 404".into()
            )]
        );
        let fs = findings(&new);
        expect(
            &fs,
            "no longer responds with status 404 (the generated client or mocks lose",
            true,
        );
        assert_eq!(fs.len(), 1, "{}", lines(&fs));
    }

    const AMOUNT_VAT: &str = "        amount_vat:\n          type: integer\n          format: int64\n          description: 현금영수증 발급가능 총액 중 부가세 (VAT)\n";

    #[test]
    fn removed_response_property_is_breaking_supplement() {
        let new = variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1);
        // drift: the same Unhandled note as for an added property (see the next test).
        let drift = drift_alone(&new);
        assert!(
            drift.contains(&(ChangeClass::Unhandled, "object properties changed".into())),
            "{drift:?}"
        );
        let fs = findings(&new);
        let f = expect(&fs, "property `amount_vat` removed", true);
        assert_eq!(
            f.pointer,
            "#/components/schemas/NaverCashAmountAnnotation/properties/amount_vat"
        );
        assert!(
            f.context
                .contains("response of GET /payments/{imp_uid}/naver/cash-amount"),
            "{f}"
        );
        assert!(
            !lines(&fs).contains("drift cannot classify"),
            "superseded:\n{}",
            lines(&fs)
        );
    }

    #[test]
    fn added_response_property_is_compatible_supplement() {
        let new = variant(
            AMOUNT_VAT,
            &format!(
                "{AMOUNT_VAT}        amount_tax_free:\n          type: integer\n          format: int64\n"
            ),
        );
        assert_eq!(
            drift_alone(&new),
            vec![(ChangeClass::Unhandled, "object properties changed".into())]
        );
        let fs = findings(&new);
        expect(&fs, "new response property `amount_tax_free`", false);
        all_compatible(&fs);
    }

    #[test]
    fn property_type_change_is_breaking_drift() {
        let from = "        now:\n          type: integer\n          format: int64\n";
        let new = variant(from, "        now:\n          type: string\n");
        assert_eq!(
            drift_alone(&new),
            vec![(ChangeClass::Incompatible, "schema types changed".into())]
        );
        let f = expect(&findings(&new), "schema types changed", true);
        assert_eq!(
            f.pointer,
            "#/components/schemas/AuthAnnotation/properties/now"
        );

        // A format change (i64 -> i32 in the client) is Unhandled in drift, explained here.
        let new = variant(
            from,
            "        now:\n          type: integer\n          format: int32\n",
        );
        assert_eq!(
            drift_alone(&new),
            vec![(ChangeClass::Unhandled, "integer schema changed".into())]
        );
        let fs = findings(&new);
        expect(&fs, "format \"int64\" -> \"int32\"", true);
        assert_eq!(fs.len(), 1, "{}", lines(&fs));
    }

    const TOKEN_REQUEST: &str = "      required: [imp_key, imp_secret]\n      properties:\n";

    #[test]
    fn new_required_request_property_is_breaking_supplement() {
        let new = variant(
            TOKEN_REQUEST,
            "      required: [imp_key, imp_secret, otp]\n      properties:\n        otp:\n          type: string\n",
        );
        let drift = drift_alone(&new);
        assert!(
            drift.iter().all(|(c, _)| *c == ChangeClass::Unhandled),
            "{drift:?}"
        );
        let fs = findings(&new);
        let f = expect(&fs, "new required request property `otp`", true);
        assert_eq!(
            f.pointer,
            "#/components/schemas/GetTokenRequest/properties/otp"
        );
        assert_eq!(
            f.context,
            BTreeSet::from(["request of POST /users/getToken".to_owned()])
        );
        assert_eq!(fs.len(), 1, "{}", lines(&fs));

        // An existing property turned required.
        let old = variant("required: [imp_key, imp_secret]", "required: [imp_key]");
        let fs = diff(&yaml(&old), &yaml(SPEC)).unwrap();
        expect(&fs, "request property `imp_secret` is now required", true);
        let fs = diff(&yaml(SPEC), &yaml(&old)).unwrap();
        expect(&fs, "request property `imp_secret` is now optional", false);
    }

    #[test]
    fn new_optional_request_property_is_compatible_supplement() {
        let new = variant(
            TOKEN_REQUEST,
            &format!("{TOKEN_REQUEST}        otp:\n          type: string\n"),
        );
        let fs = findings(&new);
        expect(&fs, "new optional request property `otp`", false);
        all_compatible(&fs);
    }

    #[test]
    fn narrowed_max_length_is_breaking_and_widened_is_compatible_supplement() {
        let narrowed = variant("maxLength: 32", "maxLength: 16");
        let widened = variant("maxLength: 32", "maxLength: 64");
        // drift cannot tell the two apart.
        let unhandled = vec![(ChangeClass::Unhandled, "string schema changed".to_owned())];
        assert_eq!(drift_alone(&narrowed), unhandled);
        assert_eq!(drift_alone(&widened), unhandled);

        let fs = findings(&narrowed);
        let f = expect(&fs, "maxLength 32 -> 16: narrowed", true);
        assert_eq!(
            f.pointer,
            "#/paths/~1payments~1{imp_uid}~1naver~1cash-amount/get/parameters/0/schema/maxLength"
        );
        assert_eq!(fs.len(), 1, "{}", lines(&fs));

        let fs = findings(&widened);
        expect(&fs, "maxLength 32 -> 64: widened", false);
        all_compatible(&fs);
    }

    /// The spec without the imp_uid pattern, whether or not it has one now.
    fn without_pattern(text: &str) -> String {
        text.lines()
            .filter(|l| !l.starts_with("            pattern: "))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn an_added_pattern_is_a_narrowed_input() {
        let old = without_pattern(SPEC);
        let new = old.replacen(
            "            maxLength: 32\n",
            "            maxLength: 32\n            pattern: '[^.]'\n",
            1,
        );
        assert_ne!(old, new);
        assert_eq!(
            raw_drift(&old, &new),
            vec![(ChangeClass::Unhandled, "string schema changed".into())]
        );
        let fs = diff(&yaml(&old), &yaml(&new)).unwrap();
        expect(&fs, "pattern none -> \"[^.]\": narrowed", true);
        assert_eq!(fs.len(), 1, "{}", lines(&fs));
    }

    /// The nullable wrappers (`response` of the envelopes, ErrorResponse's null-only `response`)
    /// without or with a `type: object` beside `nullable` (which OpenAPI 3.0.3 asks for).
    fn untyped(text: &str) -> String {
        text.replace(
            "          type: object\n          nullable: true\n",
            "          nullable: true\n",
        )
    }
    fn typed(text: &str) -> String {
        untyped(text).replace(
            "        response:\n          nullable: true\n",
            "        response:\n          type: object\n          nullable: true\n",
        )
    }

    #[test]
    fn a_type_beside_a_single_all_of_is_representation_only() {
        let (old, new) = (untyped(SPEC), typed(SPEC));
        assert_eq!(
            new.matches("type: object\n          nullable: true")
                .count(),
            3
        );
        // openapiv3 reads `type` + `allOf` as an "any" schema, which drift compares as a whole.
        let drift = raw_drift(&old, &new);
        assert!(
            drift.contains(&(
                ChangeClass::Incompatible,
                "schema kind changed from regular type to any".into()
            )),
            "{drift:?}"
        );
        assert!(
            drift.contains(&(ChangeClass::Unhandled, "schema kind 'any' changed".into())),
            "{drift:?}"
        );
        assert_eq!(diff(&yaml(&old), &yaml(&new)).unwrap(), vec![]);
        assert_eq!(diff(&yaml(&new), &yaml(&old)).unwrap(), vec![]);

        // ... and so does not look inside: in the typed style, drift alone misses a removed
        // payload property. The normalization lets it (and the walk) see it again.
        let removed = typed(&variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1));
        assert_eq!(raw_drift(&new, &removed), vec![]);
        let fs = diff(&yaml(&new), &yaml(&removed)).unwrap();
        expect(&fs, "property `amount_vat` removed", true);

        // A type that differs from the member's is kept (and is drift's to judge).
        let other = new.replacen(
            "        response:\n          type: object\n",
            "        response:\n          type: string\n",
            1,
        );
        assert!(
            diff(&yaml(&new), &yaml(&other))
                .unwrap()
                .iter()
                .any(|f| f.breaking)
        );
    }

    #[test]
    fn classifications_hold_in_both_wrapper_styles() {
        let from = "        now:\n          type: integer\n          format: int64\n";
        let cases: [(String, &str, bool); 4] = [
            (
                variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1),
                "property `amount_vat` removed",
                true,
            ),
            (
                variant(
                    AMOUNT_VAT,
                    &format!("{AMOUNT_VAT}        amount_tax_free:\n          type: integer\n"),
                ),
                "new response property `amount_tax_free`",
                false,
            ),
            (
                variant(from, "        now:\n          type: string\n"),
                "schema types changed",
                true,
            ),
            (
                variant(
                    "        access_token:\n          type: string\n",
                    "        access_token:\n          type: string\n          nullable: true\n",
                ),
                "may now be null",
                true,
            ),
        ];
        for style in [untyped, typed] {
            for (new, needle, breaking) in &cases {
                let fs = diff(&yaml(&style(SPEC)), &yaml(&style(new))).unwrap();
                expect(&fs, needle, *breaking);
                assert_eq!(
                    fs.iter().filter(|f| f.breaking).count(),
                    usize::from(*breaking),
                    "{}",
                    lines(&fs)
                );
            }
        }
    }

    #[test]
    fn renamed_operation_id_is_breaking_supplement() {
        let new = variant("operationId: getToken", "operationId: issueToken");
        assert_eq!(
            drift_alone(&new),
            vec![],
            "drift pairs operations by path and method only"
        );
        let fs = findings(&new);
        let f = expect(
            &fs,
            "operationId renamed from getToken to issueToken: the client method get_token becomes issue_token",
            true,
        );
        assert_eq!(f.pointer, "#/paths/~1users~1getToken/post/operationId");
        assert_eq!(fs.len(), 1);
    }

    #[test]
    fn description_edits_are_compatible_drift() {
        let new = variant(
            "description: 현금영수증 발급가능 총액 중 부가세 (VAT)",
            "description: VAT",
        );
        assert_eq!(
            drift_alone(&new),
            vec![(ChangeClass::Trivial, "schema metadata changed".into())]
        );
        all_compatible(&findings(&new));

        // drift does not look at an operation's description at all.
        let new = variant("Returns how much", "Tells how much");
        assert_eq!(findings(&new), vec![]);
    }

    #[test]
    fn a_response_field_turned_nullable_is_breaking_supplement() {
        let new = variant(
            "        access_token:\n          type: string\n",
            "        access_token:\n          type: string\n          nullable: true\n",
        );
        assert_eq!(
            drift_alone(&new),
            vec![],
            "drift ignores nullable-only changes"
        );
        let fs = findings(&new);
        let f = expect(&fs, "may now be null", true);
        assert_eq!(
            f.pointer,
            "#/components/schemas/AuthAnnotation/properties/access_token/nullable"
        );
    }

    #[test]
    fn a_media_type_change_is_breaking_instead_of_a_drift_panic() {
        let new = variant(
            "          application/json:\n            schema:\n              $ref: '#/components/schemas/GetTokenRequest'",
            "          application/x-www-form-urlencoded:\n            schema:\n              $ref: '#/components/schemas/GetTokenRequest'",
        );
        let panicked =
            std::panic::catch_unwind(|| drift::compare(&yaml(SPEC), &yaml(&new))).is_err();
        assert!(panicked, "drift 0.2 asserts that media types do not change");
        let fs = findings(&new);
        expect(
            &fs,
            "the request body no longer has media type application/json",
            true,
        );
        expect(
            &fs,
            "the request body gained media type application/x-www-form-urlencoded",
            true,
        );
    }

    #[test]
    fn security_requirements_supplement() {
        let dropped = variant("        - impTokenHeader: []\n", "");
        assert_eq!(drift_alone(&dropped), vec![]);
        expect(
            &findings(&dropped),
            "no longer enough: impTokenHeader",
            true,
        );

        let added = variant(
            "        - impTokenHeader: []\n",
            "        - impTokenHeader: []\n        - {}\n",
        );
        let fs = findings(&added);
        expect(&fs, "every old way of authenticating still works", false);
        all_compatible(&fs);
    }

    #[test]
    fn an_added_operation_is_compatible_drift() {
        let new = variant(
            "  /payments/{imp_uid}/naver/cash-amount:\n",
            "  /users/ping:\n    get:\n      operationId: ping\n      responses:\n        '200':\n          description: ok\n  /payments/{imp_uid}/naver/cash-amount:\n",
        );
        let fs = findings(&new);
        expect(&fs, "The operation ping was added", false);
        all_compatible(&fs);
    }

    #[test]
    fn a_new_optional_parameter_changes_the_positional_method() {
        let new = variant(
            "          example: imp_448280090638\n",
            "          example: imp_448280090638\n        - name: verbose\n          in: query\n          schema:\n            type: boolean\n",
        );
        assert_eq!(
            drift_alone(&new),
            vec![(
                ChangeClass::ForwardIncompatible,
                "A new, optional parameter 'verbose' was added".into()
            )]
        );
        expect(
            &findings(&new),
            "the arguments of the positional client method change",
            true,
        );
    }

    #[test]
    fn unhandled_stays_breaking_with_a_note() {
        let new = variant(
            TOKEN_REQUEST,
            &format!("      additionalProperties: false\n{TOKEN_REQUEST}"),
        );
        assert_eq!(
            drift_alone(&new),
            vec![(
                ChangeClass::Unhandled,
                "object additionalProperties changed".into()
            )]
        );
        expect(
            &findings(&new),
            "object additionalProperties changed (drift cannot classify this change; treated as breaking)",
            true,
        );
    }

    #[test]
    fn an_added_response_status_is_breaking_as_drift_says() {
        let new = variant(
            "        '404':\n",
            "        '429':\n          description: too many requests\n        '404':\n",
        );
        expect(
            &findings(&new),
            "operation added a new response code 429",
            true,
        );
    }

    fn finding(breaking: bool) -> Finding {
        Finding {
            breaking,
            pointer: "#/components/schemas/X".into(),
            message: "something".into(),
            context: BTreeSet::new(),
        }
    }

    #[test]
    fn gate_fails_on_a_breaking_change_without_a_major_bump() {
        let fs = [finding(true), finding(false)];
        let err = gate(&fs, "1.0.0", "1.1.0").unwrap_err();
        assert_eq!(summary(&fs), "1 breaking, 1 compatible");
        assert!(
            err.starts_with("spec/iamport.yaml has 1 breaking change for client users"),
            "{err}"
        );
        assert!(
            err.contains("BREAKING   #/components/schemas/X: something"),
            "{err}"
        );
        assert!(
            err.contains("1.0.0 -> 2.0.0") && err.contains("cargo xtask codegen"),
            "{err}"
        );
        assert!(err.contains("make the change compatible"), "{err}");
        assert!(gate(&fs, "1.0.0", "1.0.0").is_err());
        assert!(
            gate(&fs, "2.0.0", "1.9.0").is_err(),
            "a downgrade is no bump"
        );
        assert!(gate(&fs, "0.3.0", "0.3.1").is_err());
    }

    #[test]
    fn gate_passes_a_breaking_change_with_a_major_bump() {
        let fs = [finding(true)];
        let note = gate(&fs, "1.0.0", "2.0.0").unwrap().unwrap();
        assert!(
            note.starts_with("note: the breaking changes are allowed"),
            "{note}"
        );
        assert!(note.contains("1.0.0 to 2.0.0"), "{note}");
        assert!(
            gate(&fs, "0.3.0", "0.4.0").is_ok(),
            "below 1.0 the minor is the major"
        );
        assert!(gate(&fs, "0.3.0", "1.0.0").is_ok());
    }

    #[test]
    fn gate_passes_compatible_changes() {
        let fs = [finding(false)];
        assert_eq!(gate(&fs, "1.0.0", "1.0.0"), Ok(None));
        assert_eq!(summary(&fs), "0 breaking, 1 compatible");
    }

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
