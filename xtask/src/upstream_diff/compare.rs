//! Two sets of facts → the differences: operations matched by (method, path); per operation its
//! operationId, its request fields (a field that moved, say from query to body, is one difference
//! of `location` and its facts are then compared as one field), its statuses, and per success
//! status the fields of `response`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::facts::{Api, Facts, OpKey, Operation, Tree, ancestors, enum_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    UpstreamOnly,
    OursOnly,
    Differs,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `POST /payments/cancel`
    pub operation: String,
    /// `POST /payments/cancel (cancelPayment)`
    pub label: String,
    pub kind: Kind,
    /// `operation`, `operationId`, `status 404`, `body.pg`, `response.amount`
    pub subject: String,
    /// For `Differs` of a field: `type`, `enum`, `required` or `location`.
    pub aspect: Option<String>,
    /// What upstream says (for `UpstreamOnly`: the facts of what only it has).
    pub upstream: Option<String>,
    pub ours: Option<String>,
    /// Upstream's errors read charitably for this field.
    pub note: Option<String>,
}

impl Difference {
    /// The stable id the allow-list matches: `GET /payments/{imp_uid} response.amount type`.
    pub fn id(&self) -> String {
        match &self.aspect {
            Some(a) => format!("{} {} {a}", self.operation, self.subject),
            None => format!("{} {}", self.operation, self.subject),
        }
    }
}

pub fn compare(upstream: &Api, ours: &Api) -> Vec<Difference> {
    let keys: BTreeSet<&OpKey> = upstream.keys().chain(ours.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (up, our) = (upstream.get(key), ours.get(key));
        let id = our
            .and_then(|o| o.operation_id.as_deref())
            .or_else(|| up.and_then(|u| u.operation_id.as_deref()));
        let mut d = Differ {
            operation: key.to_string(),
            label: match id {
                Some(id) => format!("{key} ({id})"),
                None => key.to_string(),
            },
            out: &mut out,
        };
        match (up, our) {
            (Some(u), None) => d.push(Kind::UpstreamOnly, "operation", None, id_text(u), None),
            (None, Some(o)) => d.push(Kind::OursOnly, "operation", None, None, id_text(o)),
            (Some(u), Some(o)) => d.operation(u, o),
            (None, None) => {}
        }
    }
    out
}

fn id_text(op: &Operation) -> Option<String> {
    op.operation_id
        .as_ref()
        .map(|id| format!("operationId {id}"))
}

struct Differ<'o> {
    operation: String,
    label: String,
    out: &'o mut Vec<Difference>,
}

impl Differ<'_> {
    fn push(
        &mut self,
        kind: Kind,
        subject: &str,
        aspect: Option<&str>,
        upstream: Option<String>,
        ours: Option<String>,
    ) {
        self.out.push(Difference {
            operation: self.operation.clone(),
            label: self.label.clone(),
            kind,
            subject: subject.to_owned(),
            aspect: aspect.map(str::to_owned),
            upstream,
            ours,
            note: None,
        });
    }

    fn note(&mut self, quirks: &[String]) {
        if let (false, Some(last)) = (quirks.is_empty(), self.out.last_mut()) {
            last.note = Some(format!("upstream: {}", quirks.join("; ")));
        }
    }

    fn operation(&mut self, up: &Operation, ours: &Operation) {
        if up.operation_id != ours.operation_id {
            let text = |id: &Option<String>| Some(id.clone().unwrap_or_else(|| "none".to_owned()));
            self.push(
                Kind::Differs,
                "operationId",
                None,
                text(&up.operation_id),
                text(&ours.operation_id),
            );
        }
        let our_fields = self.relocate(up, ours);
        self.trees(&up.fields, &our_fields);
        for status in up.statuses.union(&ours.statuses) {
            let subject = format!("status {status}");
            match (up.statuses.contains(status), ours.statuses.contains(status)) {
                (true, false) => self.push(Kind::UpstreamOnly, &subject, None, None, None),
                (false, true) => self.push(Kind::OursOnly, &subject, None, None, None),
                _ => {
                    // a success status described on one side only: its fields are on that side only
                    let empty = Tree::new();
                    let u = up.payloads.get(status).unwrap_or(&empty);
                    let o = ours.payloads.get(status).unwrap_or(&empty);
                    self.trees(u, o);
                }
            }
        }
    }

    /// Our fields, with those of an input that sits elsewhere upstream (same name, other place,
    /// nothing of that name at the other's place) moved to upstream's place, after a `location`
    /// difference.
    fn relocate(&mut self, up: &Operation, ours: &Operation) -> Tree {
        let mut fields = ours.fields.clone();
        for (name, up_place) in &up.inputs {
            let here = |op: &Operation, place: &str| {
                op.inputs.iter().any(|(n, p)| n == name && p == place)
            };
            if here(ours, up_place) {
                continue;
            }
            let Some((_, our_place)) = ours.inputs.iter().find(|(n, p)| n == name && !here(up, p))
            else {
                continue;
            };
            self.push(
                Kind::Differs,
                name,
                Some("location"),
                Some(up_place.clone()),
                Some(our_place.clone()),
            );
            let from = format!("{our_place}.{name}");
            let to = format!("{up_place}.{name}");
            let moved: Vec<String> = fields
                .keys()
                .filter(|k| {
                    *k == &from
                        || k.starts_with(&format!("{from}."))
                        || k.starts_with(&format!("{from}[]"))
                })
                .cloned()
                .collect();
            for k in moved {
                if let Some(f) = fields.remove(&k) {
                    fields.insert(format!("{to}{}", &k[from.len()..]), f);
                }
            }
        }
        fields
    }

    fn trees(&mut self, up: &Tree, ours: &Tree) {
        let paths: BTreeSet<&String> = up.keys().chain(ours.keys()).collect();
        for path in paths {
            if cut(path, up, ours) {
                continue;
            }
            match (up.get(path), ours.get(path)) {
                (Some(u), None) => {
                    let facts = with_below(u, below(path, up));
                    self.push(Kind::UpstreamOnly, path, None, Some(facts), None);
                    self.note(&u.quirks);
                }
                (None, Some(o)) => {
                    let facts = with_below(o, below(path, ours));
                    self.push(Kind::OursOnly, path, None, None, Some(facts));
                }
                (Some(u), Some(o)) => self.field(path, (u, up), (o, ours)),
                (None, None) => {}
            }
        }
    }

    /// One field on both sides (with the tree it is in, to count what is below it).
    fn field(&mut self, path: &str, (u, up): (&Facts, &Tree), (o, ours): (&Facts, &Tree)) {
        let formats_differ = matches!((&u.format, &o.format), (Some(a), Some(b)) if a != b);
        if u.ty != o.ty || formats_differ {
            // what is below is not compared then: its count says how much goes with the type
            let text = |f: &Facts, tree: &Tree| match below(path, tree) {
                0 => f.type_text(),
                1 => format!("{} (1 field below)", f.type_text()),
                n => format!("{} ({n} fields below)", f.type_text()),
            };
            self.push(
                Kind::Differs,
                path,
                Some("type"),
                Some(text(u, up)),
                Some(text(o, ours)),
            );
            self.note(&u.quirks);
        }
        if u.enum_values != o.enum_values {
            let text =
                |f: &Facts| Some(f.enum_values.as_ref().map_or("none".to_owned(), enum_text));
            self.push(Kind::Differs, path, Some("enum"), text(u), text(o));
            self.note(&u.quirks);
        }
        if u.required != o.required {
            let text = |r: bool| Some(if r { "required" } else { "optional" }.to_owned());
            self.push(
                Kind::Differs,
                path,
                Some("required"),
                text(u.required),
                text(o.required),
            );
        }
    }
}

/// Whether a difference above `path` already tells about it, so it is not listed: an ancestor that
/// is only on one side (its fields are counted on its line), or of another type on each side, or
/// not expanded (a cycle; an array without items upstream).
fn cut(path: &str, up: &Tree, ours: &Tree) -> bool {
    ancestors(path)
        .into_iter()
        .any(|a| match (up.get(a), ours.get(a)) {
            (Some(u), Some(o)) => {
                u.ty != o.ty || u.recursive || o.recursive || u.items_unknown || o.items_unknown
            }
            (Some(_), None) | (None, Some(_)) => true,
            (None, None) => false,
        })
}

/// How many fields are below `path` in `tree`.
fn below(path: &str, tree: &Tree) -> usize {
    let (dot, items) = (format!("{path}."), format!("{path}[]"));
    tree.range::<String, _>(path.to_owned()..)
        .skip(1)
        .take_while(|(k, _)| k.starts_with(path))
        .filter(|(k, _)| k.starts_with(&dot) || k.starts_with(&items))
        .count()
}

fn with_below(facts: &Facts, below: usize) -> String {
    match below {
        0 => facts.describe(),
        1 => format!("{}; 1 field below", facts.describe()),
        n => format!("{}; {n} fields below", facts.describe()),
    }
}
