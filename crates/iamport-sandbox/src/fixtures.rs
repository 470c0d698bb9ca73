//! The sandbox's data: API key pairs and payments, read from a YAML file.
//!
//! Every rule is checked while the file is read (through `try_from`), so a bad file is refused with
//! the line of the entry at fault and the reason, before the server starts.

use std::collections::BTreeSet;
use std::path::Path;

use iamport_server::types::NaverCashAmountAnnotation;
use serde::Deserialize;

/// The fixture set the sandbox runs on unless `--fixtures` names another.
pub const DEFAULT_YAML: &str = include_str!("../fixtures/default.yaml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    pub credentials: Credentials,
    pub payments: Payments,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "Vec<Credential>")]
pub struct Credentials(pub Vec<Credential>);

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub imp_key: String,
    pub imp_secret: String,
}

impl Credentials {
    /// imp_secret by imp_key.
    pub fn secrets_by_key(&self) -> std::collections::HashMap<String, String> {
        self.0
            .iter()
            .map(|c| (c.imp_key.clone(), c.imp_secret.clone()))
            .collect()
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("imp_key", &self.imp_key)
            .field("imp_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "Vec<Payment>")]
pub struct Payments(pub Vec<Payment>);

#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "PaymentEntry")]
pub struct Payment {
    pub imp_uid: String,
    pub answer: NaverAnswer,
}

/// What the cash-amount endpoint answers for a payment.
#[derive(Clone, Debug, PartialEq)]
pub enum NaverAnswer {
    /// A payment-type Naver Pay payment: 200 with these amounts.
    CashAmount(NaverCashAmountAnnotation),
    /// Another PG (the name is kept for the message): 400.
    NotNaverPay { pg_provider: String },
    /// Naver's answer to PortOne was broken: 500.
    NaverBroken,
}

/// A payment as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentEntry {
    imp_uid: String,
    pg_provider: String,
    #[serde(default)]
    cash_amount: Option<NaverCashAmountAnnotation>,
    #[serde(default)]
    naver_answer_broken: bool,
}

impl TryFrom<PaymentEntry> for Payment {
    type Error = String;

    fn try_from(e: PaymentEntry) -> Result<Self, String> {
        let uid = &e.imp_uid;
        if uid.is_empty() || uid.chars().count() > 32 {
            return Err(format!(
                "imp_uid `{uid}` must have 1 to 32 characters, as the spec says"
            ));
        }
        let answer = match (e.pg_provider.as_str(), e.cash_amount, e.naver_answer_broken) {
            ("naverpay", _, true) => NaverAnswer::NaverBroken,
            ("naverpay", Some(amount), false) => {
                check_amounts(uid, &amount)?;
                NaverAnswer::CashAmount(amount)
            }
            ("naverpay", None, false) => {
                return Err(format!(
                    "payment {uid}: a naverpay payment needs `cash_amount` or `naver_answer_broken: true`"
                ));
            }
            (_, Some(_), _) | (_, _, true) => {
                return Err(format!(
                    "payment {uid}: `cash_amount` and `naver_answer_broken` only make sense with `pg_provider: naverpay`"
                ));
            }
            (other, None, false) => NaverAnswer::NotNaverPay {
                pg_provider: other.to_owned(),
            },
        };
        Ok(Payment {
            imp_uid: e.imp_uid,
            answer,
        })
    }
}

/// The amounts must add up the way PortOne's do: total = Npoint + primary = supply + VAT, none negative.
fn check_amounts(uid: &str, a: &NaverCashAmountAnnotation) -> Result<(), String> {
    let fields = [
        ("amount_total", a.amount_total),
        ("amount_by_npoint", a.amount_by_npoint),
        ("amount_by_primary", a.amount_by_primary),
        ("amount_supply", a.amount_supply),
        ("amount_vat", a.amount_vat),
    ];
    if let Some((name, v)) = fields.iter().find(|(_, v)| *v < 0) {
        return Err(format!("payment {uid}: {name} is negative ({v})"));
    }
    if a.amount_by_npoint + a.amount_by_primary != a.amount_total {
        return Err(format!(
            "payment {uid}: amount_by_npoint + amount_by_primary ({} + {}) is not amount_total ({})",
            a.amount_by_npoint, a.amount_by_primary, a.amount_total
        ));
    }
    if a.amount_supply + a.amount_vat != a.amount_total {
        return Err(format!(
            "payment {uid}: amount_supply + amount_vat ({} + {}) is not amount_total ({})",
            a.amount_supply, a.amount_vat, a.amount_total
        ));
    }
    Ok(())
}

impl TryFrom<Vec<Payment>> for Payments {
    type Error = String;

    fn try_from(list: Vec<Payment>) -> Result<Self, String> {
        let mut seen = BTreeSet::new();
        for p in &list {
            if !seen.insert(p.imp_uid.as_str()) {
                return Err(format!("imp_uid {} appears twice", p.imp_uid));
            }
        }
        Ok(Payments(list))
    }
}

impl TryFrom<Vec<Credential>> for Credentials {
    type Error = String;

    fn try_from(list: Vec<Credential>) -> Result<Self, String> {
        if list.is_empty() {
            return Err("at least one imp_key/imp_secret pair is needed".into());
        }
        let mut seen = BTreeSet::new();
        for c in &list {
            if c.imp_key.is_empty() || c.imp_secret.is_empty() {
                return Err("imp_key and imp_secret must not be empty".into());
            }
            if !seen.insert(c.imp_key.as_str()) {
                return Err(format!("imp_key {} appears twice", c.imp_key));
            }
        }
        Ok(Credentials(list))
    }
}

/// Why a fixture file was refused: where, and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{file}: {reason}")]
    Unlocated { file: String, reason: String },
}

impl Fixtures {
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            file: file.clone(),
            source,
        })?;
        Self::parse(&file, &text)
    }

    /// Parses `text`; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, FixtureError> {
        yaml_serde::from_str(text).map_err(|e| {
            // yaml_serde's message ends with " at line L column C"; the location goes in front instead.
            let reason = e.to_string();
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_owned();
            match e.location() {
                Some(l) => FixtureError::Invalid {
                    file: file.to_owned(),
                    line: l.line(),
                    column: l.column(),
                    reason,
                },
                None => FixtureError::Unlocated {
                    file: file.to_owned(),
                    reason,
                },
            }
        })
    }

    pub fn default_set() -> Self {
        Self::parse("fixtures/default.yaml", DEFAULT_YAML)
            .expect("the embedded fixtures are checked by a test")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        Fixtures::parse("f.yaml", text)
            .expect_err("refused")
            .to_string()
    }

    const GOOD: &str = "credentials:\n  - imp_key: k\n    imp_secret: s\npayments:\n  - imp_uid: imp_1\n    pg_provider: naverpay\n    cash_amount: {amount_total: 11, amount_by_npoint: 1, amount_by_primary: 10, amount_supply: 10, amount_vat: 1}\n  - imp_uid: imp_2\n    pg_provider: kcp\n";

    #[test]
    fn the_embedded_set_has_every_kind_of_payment() {
        let f = Fixtures::default_set();
        let answers: Vec<&NaverAnswer> = f.payments.0.iter().map(|p| &p.answer).collect();
        let npoint =
            |a: &&NaverAnswer| matches!(a, NaverAnswer::CashAmount(c) if c.amount_by_npoint > 0);
        let no_npoint =
            |a: &&NaverAnswer| matches!(a, NaverAnswer::CashAmount(c) if c.amount_by_npoint == 0);
        assert!(answers.iter().any(npoint));
        assert!(answers.iter().any(no_npoint));
        assert!(
            answers
                .iter()
                .any(|a| matches!(a, NaverAnswer::NotNaverPay { .. }))
        );
        assert!(
            answers
                .iter()
                .any(|a| matches!(a, NaverAnswer::NaverBroken))
        );
        assert_eq!(f.credentials.0.len(), 1);
    }

    #[test]
    fn a_good_file_parses() {
        let f = Fixtures::parse("f.yaml", GOOD).unwrap();
        assert_eq!(
            f.payments.0[1].answer,
            NaverAnswer::NotNaverPay {
                pg_provider: "kcp".into()
            }
        );
    }

    #[test]
    fn bad_files_are_refused_with_line_and_reason() {
        let err = refused(&GOOD.replace("amount_vat: 1}", "amount_vat: 2}"));
        assert!(err.starts_with("f.yaml:5:"), "{err}");
        assert!(
            err.contains("amount_supply + amount_vat (10 + 2) is not amount_total (11)"),
            "{err}"
        );

        let err = refused(&GOOD.replace("imp_uid: imp_2", "imp_uid: imp_1"));
        assert!(
            err.starts_with("f.yaml:") && err.contains("imp_uid imp_1 appears twice"),
            "{err}"
        );

        let err = refused(&GOOD.replace(
            "    pg_provider: kcp\n",
            "    pg_provider: kcp\n    colour: red\n",
        ));
        assert!(
            err.starts_with("f.yaml:10:5: payments[1]: unknown field `colour`"),
            "{err}"
        );

        let err = refused(&GOOD.replace(
            "imp_uid: imp_2",
            "imp_uid: imp_123456789012345678901234567890123",
        ));
        assert!(err.contains("must have 1 to 32 characters"), "{err}");

        let err = refused("credentials: [\n");
        assert!(err.starts_with("f.yaml:2:"), "{err}");

        let err = refused(&GOOD.replace("imp_secret: s", "imp_secret: \"\""));
        assert!(err.contains("must not be empty"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let f = Fixtures::parse("f.yaml", GOOD).unwrap();
        let shown = format!("{f:?}");
        assert!(shown.contains("imp_key: \"k\""));
        assert!(!shown.contains("imp_secret: \"s\""), "{shown}");
    }
}
