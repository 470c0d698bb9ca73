//! Reading `spec/iamport.yaml`: parse, check what the generators rely on, and report every problem
//! with the file, the path inside the document and the line, instead of a generator panic.

mod checks;
mod limits;
mod links;
mod locate;

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One step of a path inside the document: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path inside the document, shown as `paths./users/getToken.post.responses.200` (the notation of
/// serde's path errors: `.key` and `[index]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocPath(pub Vec<Segment>);

impl DocPath {
    pub fn key(&self, k: impl Into<String>) -> DocPath {
        let mut p = self.0.clone();
        p.push(Segment::Key(k.into()));
        DocPath(p)
    }
    pub fn index(&self, i: usize) -> DocPath {
        let mut p = self.0.clone();
        p.push(Segment::Index(i));
        DocPath(p)
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem in the spec, located.
#[derive(Debug)]
pub struct SpecError {
    pub file: PathBuf,
    pub path: DocPath,
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.line {
            Some((line, col)) => write!(f, "{}:{line}:{col}: ", self.file.display())?,
            None => write!(f, "{}: ", self.file.display())?,
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for SpecError {}

/// All the problems found, one per line.
#[derive(Debug)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the spec cannot be generated ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// A spec that passed every check: where it came from, its hash and the typed document.
pub struct Spec {
    pub file: PathBuf,
    pub sha256: String,
    pub openapi: openapiv3::OpenAPI,
}

impl Spec {
    /// The file name as the generated headers show it: relative to the workspace, `/`-separated.
    pub fn display_name(&self) -> String {
        self.file.to_string_lossy().replace('\\', "/")
    }
}

/// Reads `root/file`; errors name `file` as given (relative to the workspace).
pub fn load_at(root: &Path, file: &Path) -> Result<Spec, SpecErrors> {
    let text = std::fs::read_to_string(root.join(file)).map_err(|e| {
        SpecErrors(vec![SpecError {
            file: file.to_owned(),
            path: DocPath::default(),
            line: None,
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    parse(file, &text)
}

/// Parses and checks `text`; `file` only names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<Spec, SpecErrors> {
    let at = |path: DocPath, message: String| SpecError {
        file: file.to_owned(),
        line: locate::locate(text, &path.0),
        path,
        message,
    };
    let document: serde_json::Value = yaml_serde::from_str(text).map_err(|e| {
        SpecErrors(vec![SpecError {
            file: file.to_owned(),
            path: DocPath::default(),
            line: e.location().map(|l| (l.line(), l.column())),
            message: format!("not valid YAML: {e}"),
        }])
    })?;

    let problems = checks::check(&document);
    if !problems.is_empty() {
        return Err(SpecErrors(
            problems
                .into_iter()
                .map(|(path, msg)| at(path, msg))
                .collect(),
        ));
    }

    // The checks cover what the generators need; anything openapiv3 still refuses is reported with
    // the path serde reached.
    let openapi: openapiv3::OpenAPI =
        <openapiv3::OpenAPI as serde::Deserialize>::deserialize(&document).map_err(|e| {
            // The same reading straight from the YAML knows the position it stopped at; the path is
            // the node there.
            let position = yaml_serde::from_str::<openapiv3::OpenAPI>(text)
                .err()
                .and_then(|e| e.location())
                .map(|l| (l.line(), l.column()));
            let path = position.map_or_else(DocPath::default, |position| {
                DocPath(locate::path_at(text, &document, position))
            });
            SpecErrors(vec![SpecError {
                file: file.to_owned(),
                line: position.or_else(|| locate::locate(text, &path.0)),
                path,
                message: format!("not an OpenAPI 3.0 document: {e}"),
            }])
        })?;

    Ok(Spec {
        file: file.to_owned(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        openapi,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen spec, so these tests do not change with the live one.
    const SPEC: &str = include_str!("../../testdata/iamport.yaml");

    fn errors_of(text: &str) -> Vec<String> {
        match parse(Path::new("spec/iamport.yaml"), text) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    fn one_error(text: &str) -> String {
        let errs = errors_of(text);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        errs.into_iter().next().unwrap()
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).expect(needle) + 1
    }

    #[test]
    fn the_real_spec_passes() {
        assert_eq!(errors_of(SPEC), Vec::<String>::new());
    }

    #[test]
    fn a_number_written_as_a_string_is_located() {
        let bad = SPEC.replacen("maxLength: 32", "maxLength: \"16\"", 1);
        let err = one_error(&bad);
        let line = line_of(&bad, "maxLength: \"16\"");
        assert!(
            err.starts_with(&format!("spec/iamport.yaml:{line}:")),
            "{err}"
        );
        assert!(
            err.contains(
                "paths./payments/{imp_uid}/naver/cash-amount.get.parameters[0].schema.maxLength"
            ),
            "{err}"
        );
        assert!(err.contains("\"16\""), "{err}");
    }

    #[test]
    fn openapi_3_1_is_refused_at_its_line() {
        let err = one_error(&SPEC.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1));
        let line = line_of(SPEC, "openapi: 3.0.3");
        assert!(
            err.starts_with(&format!("spec/iamport.yaml:{line}:")),
            "{err}"
        );
        assert!(err.contains("3.0.x") && err.contains("3.1.0"), "{err}");
    }

    #[test]
    fn missing_and_duplicate_operation_ids_are_located() {
        let missing = SPEC.replacen("      operationId: getToken\n", "", 1);
        let err = one_error(&missing);
        assert!(err.contains("paths./users/getToken.post: "), "{err}");
        assert!(err.contains("operationId"), "{err}");
        assert!(
            err.starts_with(&format!(
                "spec/iamport.yaml:{}:",
                line_of(&missing, "tags: [authenticate]")
            )),
            "{err}"
        );

        let dup = SPEC.replacen("operationId: queryCashAmount", "operationId: getToken", 1);
        let err = one_error(&dup);
        assert!(
            err.contains("paths./payments/{imp_uid}/naver/cash-amount.get.operationId"),
            "{err}"
        );
        assert!(
            err.contains("paths./users/getToken.post.operationId"),
            "names the first use: {err}"
        );
    }

    #[test]
    fn two_error_schemas_on_one_operation_are_refused() {
        let bad = SPEC.replacen(
            "                $ref: '#/components/schemas/ErrorResponse'\n              example:\n                code: -1\n                message: '인증 Token",
            "                $ref: '#/components/schemas/AuthResponse'\n              example:\n                code: -1\n                message: '인증 Token",
            1,
        );
        assert_ne!(bad, SPEC);
        let err = one_error(&bad);
        assert!(err.contains("paths./payments/{imp_uid}/naver/cash-amount.get.responses.401.content.application/json.schema"), "{err}");
        assert!(
            err.contains("ErrorResponse") && err.contains("AuthResponse"),
            "{err}"
        );
    }

    #[test]
    fn nullable_without_a_type_is_refused() {
        let bad = SPEC.replacen(
            "        response:\n          type: object\n          nullable: true\n          allOf:",
            "        response:\n          nullable: true\n          allOf:",
            1,
        );
        assert_ne!(bad, SPEC);
        let err = one_error(&bad);
        assert!(
            err.contains("components.schemas.AuthResponse.properties.response.nullable"),
            "{err}"
        );
        assert!(err.contains("no effect without a `type`"), "{err}");
    }

    #[test]
    fn what_openapiv3_refuses_after_the_checks_is_located_too() {
        let bad = SPEC.replacen(
            "  license:\n    name: MIT OR Apache-2.0\n",
            "  license: MIT\n",
            1,
        );
        assert_ne!(bad, SPEC);
        let line = line_of(&bad, "  license: MIT");
        assert_eq!(
            one_error(&bad),
            format!(
                "spec/iamport.yaml:{line}:12: info.license: not an OpenAPI 3.0 document: invalid type: string \"MIT\", expected struct License"
            )
        );
    }

    #[test]
    fn bad_yaml_points_at_the_line() {
        let bad = SPEC.replacen("openapi: 3.0.3", "openapi: [3.0.3", 1);
        let err = one_error(&bad);
        assert!(err.contains("not valid YAML"), "{err}");
        assert!(err.starts_with("spec/iamport.yaml:"), "{err}");
    }

    #[test]
    fn unresolved_references_are_located() {
        let bad = SPEC.replacen(
            "$ref: '#/components/schemas/AuthAnnotation'",
            "$ref: '#/components/schemas/AuthAnotation'",
            1,
        );
        let err = one_error(&bad);
        assert!(
            err.contains("components.schemas.AuthResponse.properties.response.allOf[0].$ref"),
            "{err}"
        );
        assert!(err.contains("AuthAnotation"), "{err}");
    }
}
