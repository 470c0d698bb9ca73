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
    /// Billing keys the store starts with.
    #[serde(default)]
    pub customers: Vec<CustomerEntry>,
    /// Payments scheduled on billing keys.
    #[serde(default)]
    pub schedules: Vec<ScheduleEntry>,
    /// Answers fixed in advance, whatever the store holds (see [`crate::overrides`]).
    #[serde(default)]
    pub overrides: Vec<crate::overrides::Override>,
}

/// A billing key the store starts with.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerEntry {
    pub customer_uid: String,
    pub card_number: String,
    #[serde(default)]
    pub pg_provider: Option<String>,
    #[serde(default)]
    pub customer_name: Option<String>,
}

/// A payment scheduled on a billing key. `schedule_in`: seconds from the sandbox's start (default
/// -3600): in the future it waits and runs on the sandbox's clock; else it ran already, with the
/// stored payment of its `merchant_uid` (or, with none, declined).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    pub customer_uid: String,
    pub merchant_uid: String,
    pub amount: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "an_hour_ago")]
    pub schedule_in: i64,
}

fn an_hour_ago() -> i64 {
    -3600
}

/// The store part of a payment entry: what `GET /payments/{imp_uid}` and the other lookups show.
#[derive(Clone, Debug)]
pub struct StoredPayment {
    pub merchant_uid: String,
    pub amount: f64,
    pub status: String,
    pub pay_method: String,
    pub name: Option<String>,
    pub buyer_name: Option<String>,
    pub escrow: bool,
    pub customer_uid: Option<String>,
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
    pub pg_provider: String,
    pub answer: NaverAnswer,
    /// What the store holds for it; without it, only the cash-amount lookup knows the payment.
    pub stored: Option<StoredPayment>,
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
    #[serde(default)]
    merchant_uid: Option<String>,
    #[serde(default)]
    amount: Option<f64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    pay_method: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    buyer_name: Option<String>,
    #[serde(default)]
    escrow: bool,
    #[serde(default)]
    customer_uid: Option<String>,
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
        let stored = match (e.merchant_uid, e.amount) {
            (Some(merchant_uid), Some(amount)) => Some(StoredPayment {
                merchant_uid,
                amount,
                status: e.status.unwrap_or_else(|| "paid".into()),
                pay_method: e.pay_method.unwrap_or_else(|| "card".into()),
                name: e.name,
                buyer_name: e.buyer_name,
                escrow: e.escrow,
                customer_uid: e.customer_uid,
            }),
            (None, None) => None,
            _ => {
                return Err(format!(
                    "payment {uid}: `merchant_uid` and `amount` go together (the store needs both)"
                ));
            }
        };
        if let Some(s) = &stored {
            if !["ready", "paid", "failed", "cancelled"].contains(&s.status.as_str()) {
                return Err(format!(
                    "payment {uid}: status `{}` is not one of ready, paid, failed, cancelled",
                    s.status
                ));
            }
            if !(s.amount.is_finite() && s.amount > 0.0) {
                return Err(format!("payment {uid}: amount must be positive"));
            }
        }
        Ok(Payment {
            imp_uid: e.imp_uid,
            pg_provider: e.pg_provider,
            answer,
            stored,
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

    /// The store this fixture set starts a sandbox with, at sandbox time `now`: its payments (paid
    /// an hour ago), billing keys and a certification for each payment's `imp_uid`.
    pub(crate) fn seed(&self, now: i64) -> crate::store::State {
        use crate::behaviour::checkout::Card;
        use crate::store::{Certification, Customer, Payment as Stored, State};
        let mut state = State::default();
        let at = now - 3600;
        for c in &self.customers {
            let card = Card::from_number(&c.card_number);
            state.customers.insert(
                c.customer_uid.clone(),
                Customer {
                    customer_uid: c.customer_uid.clone(),
                    pg_provider: c
                        .pg_provider
                        .clone()
                        .unwrap_or_else(|| "html5_inicis".into()),
                    pg_id: "iamport_sandbox".into(),
                    sandbox: false,
                    customer_id: None,
                    card_name: card.name,
                    card_code: card.code,
                    card_number: card.number,
                    card_type: 0,
                    customer_name: c.customer_name.clone(),
                    customer_tel: None,
                    customer_email: None,
                    customer_addr: None,
                    customer_postcode: None,
                    inserted: at,
                    updated: at,
                    declines: c.card_number.trim_end().ends_with("0000"),
                },
            );
        }
        for p in &self.payments.0 {
            let Some(s) = &p.stored else { continue };
            let card = (s.pay_method == "card").then(|| Card::from_number("9410-1234-5678-1234"));
            let mut stored = Stored {
                imp_uid: p.imp_uid.clone(),
                merchant_uid: s.merchant_uid.clone(),
                pay_method: s.pay_method.clone(),
                channel: "pc".into(),
                pg_provider: p.pg_provider.clone(),
                pg_tid: format!("sandbox_{}", p.imp_uid),
                pg_id: "iamport_sandbox".into(),
                escrow: s.escrow,
                name: s.name.clone(),
                amount: s.amount,
                currency: "KRW".into(),
                buyer_name: s.buyer_name.clone(),
                status: s.status.clone(),
                started_at: at,
                updated_at: at,
                customer_uid: s.customer_uid.clone(),
                customer_uid_usage: s.customer_uid.as_ref().map(|_| "payment".into()),
                card_code: card.as_ref().map(|c| c.code.clone()),
                card_name: card.as_ref().map(|c| c.name.clone()),
                card_number: card.as_ref().map(|c| c.number.clone()),
                ..Stored::default()
            };
            match s.status.as_str() {
                "paid" => {
                    stored.paid_at = at;
                    stored.apply_num = Some("30012345".into());
                    stored.receipt_url = Some(format!(
                        "https://sandbox.iamport.local/receipts/{}",
                        p.imp_uid
                    ));
                }
                "failed" => {
                    stored.failed_at = at;
                    stored.fail_reason = Some("카드 한도 초과".into());
                }
                "cancelled" => {
                    stored.paid_at = at;
                    stored.cancelled_at = at;
                    stored.cancel_amount = s.amount;
                    stored.cancel_reason = Some("구매자 요청".into());
                }
                _ if s.pay_method == "vbank" => {
                    stored.vbank_code = Some("088".into());
                    stored.vbank_name = Some("신한은행".into());
                    stored.vbank_num = Some(format!(
                        "5621{}",
                        &p.imp_uid[p.imp_uid.len().saturating_sub(10)..]
                    ));
                    stored.vbank_holder = Some("(주)포트원".into());
                    stored.vbank_date = Some(now + 3 * 24 * 3600);
                    stored.vbank_issued_at = Some(at);
                }
                _ => {}
            }
            state.payments.insert(p.imp_uid.clone(), stored);
            state.certifications.insert(
                p.imp_uid.clone(),
                Certification {
                    imp_uid: p.imp_uid.clone(),
                    merchant_uid: Some(s.merchant_uid.clone()),
                    pg_tid: format!("sandbox_cert_{}", p.imp_uid),
                    pg_provider: "danal".into(),
                    name: s.buyer_name.clone().unwrap_or_else(|| "홍길동".into()),
                    gender: "male".into(),
                    birthday: "1990-01-01".into(),
                    foreigner: false,
                    phone: "01012345678".into(),
                    carrier: "SKT".into(),
                    certified: true,
                    certified_at: at,
                    unique_key: format!("sandbox-ci-{}", p.imp_uid),
                    unique_in_site: format!("sandbox-di-{}", p.imp_uid),
                    origin: "sandbox".into(),
                    otp: None,
                },
            );
        }
        for e in &self.schedules {
            let schedule_at = now + e.schedule_in;
            let ran = state
                .by_merchant_uid(&e.merchant_uid)
                .first()
                .map(|p| (p.imp_uid.clone(), p.status.clone()));
            let past = e.schedule_in <= 0;
            let (imp_uid, payment_status, fail_reason) = match (past, ran) {
                (false, _) => (None, None, None),
                (true, Some((uid, status))) => (Some(uid), Some(status), None),
                (true, None) => (
                    None,
                    Some("failed".to_owned()),
                    Some("카드 승인에 실패하였습니다. (한도초과)".to_owned()),
                ),
            };
            state.schedules.insert(
                e.merchant_uid.clone(),
                crate::store::Schedule {
                    customer_uid: e.customer_uid.clone(),
                    merchant_uid: e.merchant_uid.clone(),
                    imp_uid,
                    schedule_at,
                    executed_at: if past { schedule_at } else { 0 },
                    revoked_at: 0,
                    amount: e.amount,
                    currency: "KRW".into(),
                    name: e.name.clone().unwrap_or_default(),
                    buyer_name: None,
                    buyer_email: None,
                    buyer_tel: None,
                    custom_data: None,
                    schedule_status: if past { "executed" } else { "scheduled" }.into(),
                    payment_status,
                    fail_reason,
                    notice_url: None,
                },
            );
        }
        state
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
