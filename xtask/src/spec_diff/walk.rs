//! The walk: a paired descent through what each operation sends and receives, for what drift
//! misses or leaves `Unhandled` (see the module docs of `spec_diff`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

use heck::ToSnakeCase;
use openapi_support::{escape_segment, follow_refs};
use serde_json::Value;

use super::gate::Finding;
use super::operations::{Op, content_schemas};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Dir {
    Request,
    Response,
}

pub(super) struct Walk<'a> {
    pub(super) old: &'a Value,
    pub(super) new: &'a Value,
    pub(super) findings: Vec<Finding>,
    /// Schema nodes (old and new pointers) whose property, required and constraint changes the
    /// walk reported; drift's `Unhandled` notes on them are superseded.
    pub(super) explained: HashSet<String>,
    pub(super) seen: HashSet<(String, Dir, String, String)>,
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

    pub(super) fn operation(&mut self, o: &Op<'a>, n: &Op<'a>) {
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
                    let (pointer, p) = follow_refs(doc, format!("{pointer}/parameters/{i}"), p);
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
                format!("{op}/properties/{}", escape_segment(name)),
                format!("property `{name}` removed"),
            ));
        }
        for name in new_props.keys().filter(|k| !old_props.contains_key(*k)) {
            let pointer = format!("{np}/properties/{}", escape_segment(name));
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
            let pointer = format!("{np}/properties/{}", escape_segment(name));
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
                let segment = escape_segment(name);
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
    let (mut pointer, mut node) = follow_refs(doc, pointer, node);
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
        (pointer, node) = follow_refs(doc, format!("{pointer}/{kw}/0"), inner);
    }
    (pointer, node, nullable)
}
