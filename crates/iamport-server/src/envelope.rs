//! The error envelope for everything the router answers by itself, and the small decoding helpers the
//! generated handlers call. Every answer that is not a 2xx from an implementation goes through
//! [`error`], so no client ever sees axum's plain-text rejections.

use std::fmt::Display;
use std::str::FromStr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The envelope `code` of every failure this crate produces (PortOne answers -1 for its own errors).
pub const ERROR_CODE: i64 = -1;

/// Request bodies above this size get a 413 (the API's bodies are a few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;

/// An answer in the error envelope: `{"code": -1, "message": ..., "response": null}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({
        "code": ERROR_CODE,
        "message": message.into(),
        "response": null,
    });
    (status, axum::Json(body)).into_response()
}

/// The answer of an operation that has no implementation (the trait's default without an example).
pub fn not_implemented() -> Response {
    error(
        StatusCode::NOT_IMPLEMENTED,
        "구현되지 않은 API입니다. (this operation is not implemented)",
    )
}

pub fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

pub fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "인증 Token이 전달되지 않았거나 유효하지 않습니다. (missing or invalid access token)",
    )
}

/// The token of an `Authorization` header: `Bearer <t>` as the current docs say, or the raw `<t>`
/// that older docs and most official clients send.
pub fn authorization_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// The token carried raw in another header (`X-ImpTokenHeader`).
pub fn header_token<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let token = headers.get(name)?.to_str().ok()?.trim();
    (!token.is_empty()).then_some(token)
}

/// Why a request was refused before it reached the implementation: a status and a message, sent as
/// the error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    pub message: String,
}

impl Rejection {
    fn bad_request(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        error(self.status, self.message)
    }
}

/// A required path or query parameter, checked against the spec's constraints by its type's `FromStr`.
pub fn parameter<T>(pairs: &[(String, String)], name: &str) -> Result<T, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    match optional_parameter(pairs, name)? {
        Some(value) => Ok(value),
        None => Err(Rejection::bad_request(format!(
            "필수 파라미터 `{name}`가 없습니다. (missing parameter `{name}`)"
        ))),
    }
}

pub fn optional_parameter<T>(pairs: &[(String, String)], name: &str) -> Result<Option<T>, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    let Some((_, raw)) = pairs.iter().find(|(key, _)| key == name) else {
        return Ok(None);
    };
    raw.parse().map(Some).map_err(|e| {
        Rejection::bad_request(format!(
            "파라미터 `{name}`가 올바르지 않습니다: {e} (invalid parameter `{name}`)"
        ))
    })
}

/// An array parameter sent as repeated `name=value` pairs (form style, exploded: `imp_uid[]=a&imp_uid[]=b`),
/// each value checked by its type's `FromStr`. Required: at least one value.
pub fn array_parameter<T>(pairs: &[(String, String)], name: &str) -> Result<Vec<T>, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    match optional_array_parameter(pairs, name)? {
        Some(values) => Ok(values),
        None => Err(missing(name)),
    }
}

pub fn optional_array_parameter<T>(
    pairs: &[(String, String)],
    name: &str,
) -> Result<Option<Vec<T>>, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    let values = pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, raw)| raw.parse().map_err(|e| invalid(name, e)))
        .collect::<Result<Vec<T>, Rejection>>()?;
    Ok((!values.is_empty()).then_some(values))
}

/// A required header parameter, checked by its type's `FromStr`.
pub fn header_parameter<T>(headers: &HeaderMap, name: &str) -> Result<T, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    optional_header_parameter(headers, name)?.ok_or_else(|| missing(name))
}

pub fn optional_header_parameter<T>(headers: &HeaderMap, name: &str) -> Result<Option<T>, Rejection>
where
    T: FromStr,
    T::Err: Display,
{
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| invalid(name, "not visible ASCII"))?;
    value.parse().map(Some).map_err(|e| invalid(name, e))
}

fn missing(name: &str) -> Rejection {
    Rejection::bad_request(format!(
        "필수 파라미터 `{name}`가 없습니다. (missing parameter `{name}`)"
    ))
}

fn invalid(name: &str, e: impl Display) -> Rejection {
    Rejection::bad_request(format!(
        "파라미터 `{name}`가 올바르지 않습니다: {e} (invalid parameter `{name}`)"
    ))
}

/// The media types a request body may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyMedia {
    Json,
    Form,
}

/// A required body in one of the media types the operation accepts, chosen by `Content-Type` (the
/// first accepted one when the header is missing). A body over [`BODY_LIMIT`] is a 413; anything
/// unreadable is a 400 saying why.
pub async fn body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    accepts: &[BodyMedia],
) -> Result<T, Rejection> {
    match optional_body(headers, body, accepts).await? {
        Some(value) => Ok(value),
        None => Err(Rejection::bad_request(
            "요청 본문이 필요합니다. (a request body is required)".into(),
        )),
    }
}

pub async fn optional_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    accepts: &[BodyMedia],
) -> Result<Option<T>, Rejection> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let media = match declared.as_deref() {
        None => accepts.first().copied().unwrap_or(BodyMedia::Json),
        Some("application/json") if accepts.contains(&BodyMedia::Json) => BodyMedia::Json,
        Some("application/x-www-form-urlencoded") if accepts.contains(&BodyMedia::Form) => {
            BodyMedia::Form
        }
        Some(other) => {
            return Err(Rejection::bad_request(format!(
                "지원하지 않는 Content-Type입니다: {other} (unsupported media type)"
            )));
        }
    };
    match media {
        BodyMedia::Json => optional_json_body(body).await,
        BodyMedia::Form => {
            let bytes = read_body(body).await?;
            if bytes.is_empty() {
                return Ok(None);
            }
            serde_urlencoded::from_bytes(&bytes).map(Some).map_err(|e| {
                Rejection::bad_request(format!(
                    "요청 본문이 올바르지 않습니다: {e} (invalid form body)"
                ))
            })
        }
    }
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, Rejection> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        if is_length_limit(&e) {
            Rejection {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: format!(
                    "요청 본문이 너무 큽니다. (request body larger than {} KiB)",
                    BODY_LIMIT / 1024
                ),
            }
        } else {
            Rejection::bad_request(format!(
                "요청 본문을 읽을 수 없습니다: {e} (unreadable body)"
            ))
        }
    })
}

async fn optional_json_body<T: DeserializeOwned>(body: Body) -> Result<Option<T>, Rejection> {
    // Read here rather than with axum's `Bytes` extractor and `DefaultBodyLimit` layer: the limit then
    // costs nothing on the routes without a body.
    let bytes = read_body(body).await?;
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Ok(None);
    };
    // serde's derived structs also read a JSON array, field by field: the spec's object is an object.
    if *first == b'[' && expects_object::<T>() {
        return Err(Rejection::bad_request(
            "요청 본문이 올바르지 않습니다: JSON 객체가 필요합니다 (invalid JSON body: expected an object)"
                .into(),
        ));
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Rejection::bad_request(format!(
            "요청 본문이 올바르지 않습니다: {e} (invalid JSON body)"
        ))
    })
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Wraps the generated routes with what makes every answer an envelope: a 404 for unknown paths, a
/// 405 for known paths with another method, and a panic guard. (Input rejections are enveloped where
/// they happen, in the generated handlers; the bad-input tests check that no answer is plain text.)
pub fn harden<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "요청하신 API를 찾을 수 없습니다. (no such route)",
            )
        })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "허용되지 않은 메소드입니다. (method not allowed)",
            )
        })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("an IamportApi implementation panicked");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "서버 내부 오류입니다. (internal error)",
                )
            },
        ))
}

/// Sets the `default` of a parameter's schema in a generated document (utoipa's parameter syntax
/// cannot state one); used by the generated `ApiDoc`.
pub fn document_parameter_default(
    openapi: &mut utoipa::openapi::OpenApi,
    path: &str,
    method: &str,
    name: &str,
    default: serde_json::Value,
) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let parameters = operation(openapi, path, method).and_then(|o| o.parameters.as_mut());
    for parameter in parameters.into_iter().flatten() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        if parameter.name == name
            && let Some(RefOr::T(schema)) = parameter.schema.as_mut()
        {
            match schema {
                Schema::Object(object) => object.default = Some(default.clone()),
                Schema::Array(array) => array.default = Some(default.clone()),
                _ => {}
            }
        }
    }
}

/// utoipa documents an inline field that carries a description or a default as `allOf: [its
/// schema, {type: object, description, default}]`; for a field that is not an object no value
/// matches both. The generated `ApiDoc` calls this to drop the `type` from such annotation-only
/// members (no properties), which then only annotate.
pub fn document_annotation_members(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};

    fn annotation_only(schema: &RefOr<Schema>) -> bool {
        matches!(schema, RefOr::T(Schema::Object(o))
            if o.properties.is_empty()
                && o.additional_properties.is_none()
                && o.schema_type == SchemaType::Type(Type::Object))
    }
    fn walk(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => o.properties.values_mut().for_each(walk),
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items);
                }
            }
            Schema::AllOf(all) => {
                let annotated = all.items.len() > 1;
                for item in &mut all.items {
                    if annotated
                        && annotation_only(item)
                        && let RefOr::T(Schema::Object(o)) = item
                    {
                        o.schema_type = SchemaType::AnyValue;
                    } else {
                        walk(item);
                    }
                }
            }
            Schema::OneOf(one) => one.items.iter_mut().for_each(walk),
            Schema::AnyOf(any) => any.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(walk);
    }
}

/// Says `anyOf` for the named component schemas that utoipa documents as `oneOf`: the spec's
/// `anyOf` becomes an untagged enum, which decodes the first alternative that matches.
pub fn document_any_of(openapi: &mut utoipa::openapi::OpenApi, names: &[&str]) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AnyOf, Schema};
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for name in names {
        if let Some(RefOr::T(schema)) = components.schemas.get_mut(*name)
            && let Schema::OneOf(one) = schema
        {
            let mut any = AnyOf::new();
            any.items = std::mem::take(&mut one.items);
            any.description = one.description.take();
            any.example = one.example.take();
            *schema = Schema::AnyOf(any);
        }
    }
}

fn operation<'a>(
    openapi: &'a mut utoipa::openapi::OpenApi,
    path: &str,
    method: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    let item = openapi.paths.paths.get_mut(path)?;
    match method {
        "get" => item.get.as_mut(),
        "put" => item.put.as_mut(),
        "post" => item.post.as_mut(),
        "delete" => item.delete.as_mut(),
        "options" => item.options.as_mut(),
        "head" => item.head.as_mut(),
        "patch" => item.patch.as_mut(),
        "trace" => item.trace.as_mut(),
        _ => None,
    }
}

/// Marks the request bodies of the given `(path, method)`s optional: utoipa marks every body
/// required, and `Option<T>` would make it nullable too.
pub fn document_optional_bodies(
    openapi: &mut utoipa::openapi::OpenApi,
    operations: &[(&str, &str)],
) {
    for (path, method) in operations {
        if let Some(utoipa::openapi::RefOr::T(body)) =
            operation(openapi, path, method).and_then(|o| o.request_body.as_mut())
        {
            body.required = Some(utoipa::openapi::Required::False);
        }
    }
}

/// Decodes a property the spec makes optional but not nullable: absent is `None` (the field's
/// `#[serde(default)]`), a value is `Some`, and an explicit `null` is refused.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Refuses a number parameter outside the spec's `minimum`/`maximum` (inclusive).
pub fn check_bounds<T: ToString>(
    name: &str,
    value: Option<&T>,
    minimum: Option<f64>,
    maximum: Option<f64>,
) -> Result<(), Rejection> {
    let Some(number) = value.and_then(|v| v.to_string().parse::<f64>().ok()) else {
        return Ok(());
    };
    let below = minimum.is_some_and(|m| number < m);
    let above = maximum.is_some_and(|m| number > m);
    if below || above {
        let range = match (minimum, maximum) {
            (Some(lo), Some(hi)) => format!("{lo} ~ {hi}"),
            (Some(lo), None) => format!("≥ {lo}"),
            (None, Some(hi)) => format!("≤ {hi}"),
            (None, None) => String::new(),
        };
        return Err(Rejection::bad_request(format!(
            "파라미터 `{name}`가 허용 범위({range})를 벗어났습니다: {number} (parameter `{name}` out of range)"
        )));
    }
    Ok(())
}

/// Whether `T` is an object type (a struct) rather than a sequence: serde's derived structs also
/// read a JSON array field by field. A sequence type reads `[]` and refuses `{}`; a struct does not.
/// Asked only for a body that starts with `[`.
fn expects_object<T: DeserializeOwned>() -> bool {
    let sequence =
        serde_json::from_str::<T>("[]").is_ok() && serde_json::from_str::<T>("{}").is_err();
    !sequence
}
