//! The notice PortOne POSTs to your webhook URL when a payment changes.
//!
//! V1 webhooks are not signed: anyone can POST one. [`Webhook::parse`] reads the body (JSON or
//! `application/x-www-form-urlencoded`), and [`IamportClient::verify_webhook`] looks the payment
//! up and checks that it agrees with the notice; act on the payment it returns.
//!
//! ```no_run
//! use iamport_client::{IamportClient, Webhook};
//!
//! # async fn run(client: IamportClient, content_type: Option<&str>, body: &[u8]) {
//! // In your HTTP handler, with the request's Content-Type and body:
//! let webhook = match Webhook::parse(content_type, body) {
//!     Ok(webhook) => webhook,
//!     Err(e) => return eprintln!("400: {e}"),
//! };
//! match client.verify_webhook(&webhook).await {
//!     Ok(payment) => println!("{} is now {}", *payment.merchant_uid, payment.status),
//!     Err(e) => eprintln!("refused: {e}"),
//! }
//! # }
//! ```
//!
//! [`IamportClient::verify_webhook`]: crate::IamportClient::verify_webhook

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A webhook notice: which payment (`imp_uid`, `merchant_uid`) changed, and its new `status`
/// (`ready`, `paid`, `failed`, `cancelled`). Fields it does not know are kept in `other`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// PortOne's payment id.
    pub imp_uid: String,
    /// Your order id.
    pub merchant_uid: String,
    /// The status the notice reports.
    pub status: String,
    /// The cancellation's id, on a cancellation notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_id: Option<String>,
    /// The billing key, on a notice about a payment made with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_uid: Option<String>,
    /// Every other field, as sent (form fields as strings).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// Why a webhook body was refused by [`Webhook::parse`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The `Content-Type` is neither JSON nor `application/x-www-form-urlencoded`.
    #[error(
        "unsupported webhook content type {content_type:?} (expected application/json or application/x-www-form-urlencoded)"
    )]
    UnsupportedContentType { content_type: String },

    /// The body is not a webhook of that format: not JSON (or not an object), not a form, a
    /// field missing, empty, repeated or of the wrong type.
    #[error("malformed {format} webhook: {reason}")]
    Malformed {
        /// `"JSON"` or `"form"`.
        format: &'static str,
        reason: String,
    },
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Form,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Form => "form",
        }
    }

    /// The format a `Content-Type` names; without one, a body starting with `{` is JSON.
    fn of(content_type: Option<&str>, body: &[u8]) -> Result<Format, WebhookError> {
        let Some(content_type) = content_type else {
            let json = body.trim_ascii_start().starts_with(b"{");
            return Ok(if json { Format::Json } else { Format::Form });
        };
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            Ok(Format::Json)
        } else if essence == "application/x-www-form-urlencoded" {
            Ok(Format::Form)
        } else {
            Err(WebhookError::UnsupportedContentType {
                content_type: content_type.chars().take(100).collect(),
            })
        }
    }
}

impl Webhook {
    /// Reads the body of a webhook request, as its `Content-Type` says (JSON or
    /// `application/x-www-form-urlencoded`; without one, a body starting with `{` is taken as JSON).
    /// `imp_uid`, `merchant_uid` and `status` are required and must not be empty; other fields are
    /// kept in [`other`](Self::other).
    ///
    /// This only reads the notice: check it with
    /// [`IamportClient::verify_webhook`](crate::IamportClient::verify_webhook).
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Webhook, WebhookError> {
        let format = Format::of(content_type, body)?;
        let malformed = |reason: String| WebhookError::Malformed {
            format: format.name(),
            reason,
        };
        let fields = match format {
            Format::Json => match serde_json::from_slice(body) {
                Ok(serde_json::Value::Object(fields)) => fields,
                Ok(other) => {
                    return Err(malformed(format!(
                        "expected a JSON object, got {}",
                        kind(&other)
                    )));
                }
                Err(e) => return Err(malformed(e.to_string())),
            },
            Format::Form => {
                let pairs: Vec<(String, String)> =
                    serde_urlencoded::from_bytes(body).map_err(|e| malformed(e.to_string()))?;
                let mut fields = serde_json::Map::new();
                for (name, value) in pairs {
                    if fields.contains_key(&name) {
                        return Err(malformed(format!("field `{name}` appears more than once")));
                    }
                    fields.insert(name, serde_json::Value::String(value));
                }
                fields
            }
        };
        let webhook: Webhook = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| malformed(e.to_string()))?;
        for (name, value) in [
            ("imp_uid", &webhook.imp_uid),
            ("merchant_uid", &webhook.merchant_uid),
            ("status", &webhook.status),
        ] {
            if value.trim().is_empty() {
                return Err(malformed(format!("field `{name}` is empty")));
            }
        }
        Ok(webhook)
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_form_give_the_same_webhook() {
        let json = br#"{"imp_uid":"imp_1","merchant_uid":"order_1","status":"paid","tier":"AB1"}"#;
        let form = b"imp_uid=imp_1&merchant_uid=order_1&status=paid&tier=AB1";
        let from_json = Webhook::parse(Some("application/json; charset=utf-8"), json).unwrap();
        let from_form = Webhook::parse(Some("Application/X-WWW-Form-Urlencoded"), form).unwrap();
        assert_eq!(from_json, from_form);
        assert_eq!(from_json.imp_uid, "imp_1");
        assert_eq!(from_json.merchant_uid, "order_1");
        assert_eq!(from_json.status, "paid");
        assert_eq!(from_json.cancellation_id, None);
        assert_eq!(from_json.other["tier"], "AB1");
        // Without a content type, the body tells.
        assert_eq!(Webhook::parse(None, json).unwrap(), from_json);
        assert_eq!(Webhook::parse(None, form).unwrap(), from_json);
    }

    #[test]
    fn optional_fields_are_read() {
        let form = "imp_uid=imp_1&merchant_uid=order%201&status=cancelled&cancellation_id=c_9&customer_uid=cu_%EA%B0%80";
        let webhook =
            Webhook::parse(Some("application/x-www-form-urlencoded"), form.as_bytes()).unwrap();
        assert_eq!(webhook.merchant_uid, "order 1");
        assert_eq!(webhook.cancellation_id.as_deref(), Some("c_9"));
        assert_eq!(webhook.customer_uid.as_deref(), Some("cu_가"));
        assert!(webhook.other.is_empty());
    }

    #[test]
    fn malformed_bodies_are_refused_with_the_reason() {
        let json = Some("application/json");
        let form = Some("application/x-www-form-urlencoded");
        let cases: &[(Option<&str>, &[u8], &str)] = &[
            (json, b"{not json", "malformed JSON webhook: "),
            (json, b"[1,2]", "expected a JSON object, got an array"),
            (json, b"", "malformed JSON webhook: EOF"),
            (
                json,
                br#"{"merchant_uid":"o","status":"paid"}"#,
                "missing field `imp_uid`",
            ),
            (
                json,
                br#"{"imp_uid":7,"merchant_uid":"o","status":"paid"}"#,
                "invalid type: integer `7`",
            ),
            (
                json,
                br#"{"imp_uid":"imp_1","merchant_uid":"o","status":" "}"#,
                "field `status` is empty",
            ),
            (
                form,
                b"imp_uid=imp_1&status=paid",
                "missing field `merchant_uid`",
            ),
            (
                form,
                b"imp_uid=a&imp_uid=b&merchant_uid=o&status=paid",
                "field `imp_uid` appears more than once",
            ),
            (form, b"", "malformed form webhook: missing field `imp_uid`"),
        ];
        for (content_type, body, expected) in cases {
            let error = Webhook::parse(*content_type, body).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{:?}: {error}",
                String::from_utf8_lossy(body)
            );
        }
        let error = Webhook::parse(Some("text/plain"), b"imp_uid=x").unwrap_err();
        assert_eq!(
            error,
            WebhookError::UnsupportedContentType {
                content_type: "text/plain".into()
            }
        );
    }
}
