//! What one sandbox remembers: payments, prepared amounts, billing keys and their schedules, cash
//! receipts, certifications and escrow deliveries. One [`State`] behind one lock; the rules that
//! change it live in [`crate::behaviour`], the answers are rendered from it as the spec's JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A payment status, as the API writes it.
pub const READY: &str = "ready";
pub const PAID: &str = "paid";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

/// A payment, with the fields of the spec's `PaymentAnnotation` the sandbox keeps (the others are
/// left out of its answers, as the API leaves out what does not apply).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub imp_uid: String,
    pub merchant_uid: String,
    pub pay_method: String,
    pub channel: String,
    pub pg_provider: String,
    pub pg_tid: String,
    pub pg_id: String,
    pub sandbox: bool,
    pub escrow: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_num: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_num: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_holder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vbank_issued_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub amount: f64,
    pub cancel_amount: f64,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_tel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_postcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
    pub status: String,
    pub started_at: i64,
    pub paid_at: i64,
    pub failed_at: i64,
    pub cancelled_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_url: Option<String>,
    pub cancel_history: Vec<Cancellation>,
    pub cancel_receipt_urls: Vec<String>,
    pub cash_receipt_issued: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_uid_usage: Option<String>,
    /// Where this payment's webhooks go (the request's `notice_url`); else the global one.
    #[serde(skip)]
    pub notice_url: Option<String>,
    /// The account a virtual-account payment was refunded to (kept, not shown by the API).
    #[serde(skip)]
    pub refund_account: Option<RefundAccount>,
    /// When the payment changed last (the `-updated` sort key).
    #[serde(skip)]
    pub updated_at: i64,
}

impl Payment {
    /// What is left to cancel.
    pub fn cancellable(&self) -> f64 {
        self.amount - self.cancel_amount
    }

    /// The time of its current status (what `from`/`to` of a listing compare with).
    pub fn status_time(&self) -> i64 {
        match self.status.as_str() {
            PAID => self.paid_at,
            FAILED => self.failed_at,
            CANCELLED => self.cancelled_at,
            _ => self.started_at,
        }
    }
}

/// One cancellation, full or partial, as `cancel_history` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    pub pg_tid: String,
    pub amount: f64,
    pub cancelled_at: i64,
    pub reason: String,
    pub cancellation_id: String,
    pub receipt_url: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RefundAccount {
    pub holder: String,
    pub bank: String,
    pub account: String,
}

/// An amount registered with `POST /payments/prepare` for a `merchant_uid`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prepared {
    pub merchant_uid: String,
    pub amount: f64,
    pub currency: String,
}

/// A billing key (`subscribe/customers`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Customer {
    pub customer_uid: String,
    pub pg_provider: String,
    pub pg_id: String,
    pub sandbox: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub card_name: String,
    pub card_code: String,
    pub card_number: String,
    pub card_type: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_tel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_postcode: Option<String>,
    pub inserted: i64,
    pub updated: i64,
    /// The PG declines every payment with this key (a card number ending in `0000`).
    #[serde(skip)]
    pub declines: bool,
}

/// A payment scheduled on a billing key. `schedule_status`: `scheduled`, `executed`, `revoked`;
/// `payment_status` once executed: `paid` or `failed`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schedule {
    pub customer_uid: String,
    pub merchant_uid: String,
    pub imp_uid: Option<String>,
    pub schedule_at: i64,
    pub executed_at: i64,
    pub revoked_at: i64,
    pub amount: f64,
    pub currency: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_tel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
    pub schedule_status: String,
    pub payment_status: Option<String>,
    pub fail_reason: Option<String>,
    #[serde(skip)]
    pub notice_url: Option<String>,
}

/// A cash receipt, of a payment (`imp_uid`) or of a sale made elsewhere (`merchant_uid`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receipt {
    pub receipt_tid: String,
    pub apply_num: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: i64,
    pub vat: i64,
    pub receipt_url: String,
    pub applied_at: i64,
    pub cancelled_at: i64,
}

/// An identity verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Certification {
    pub imp_uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_uid: Option<String>,
    pub pg_tid: String,
    pub pg_provider: String,
    pub name: String,
    pub gender: String,
    pub birthday: String,
    pub foreigner: bool,
    pub phone: String,
    pub carrier: String,
    pub certified: bool,
    pub certified_at: i64,
    pub unique_key: String,
    pub unique_in_site: String,
    pub origin: String,
    /// The OTP a pending verification waits for (never shown).
    #[serde(skip)]
    pub otp: Option<String>,
}

/// An escrow payment's delivery, as registered (`sender`, `receiver`, `logis` kept as sent).
#[derive(Clone, Debug, PartialEq)]
pub struct Logis {
    pub company: String,
    pub invoice: String,
    pub sent_at: i64,
    pub applied_at: i64,
    pub request: Value,
}

/// Everything, behind one lock.
#[derive(Debug, Default)]
pub struct State {
    pub payments: BTreeMap<String, Payment>,
    pub prepared: BTreeMap<String, Prepared>,
    pub customers: BTreeMap<String, Customer>,
    pub schedules: BTreeMap<String, Schedule>,
    pub receipts: BTreeMap<String, Receipt>,
    pub external_receipts: BTreeMap<String, Receipt>,
    pub certifications: BTreeMap<String, Certification>,
    pub logis: BTreeMap<String, Logis>,
    /// The webhook URL of payments that name none.
    pub notice_url: Option<String>,
    counter: u64,
}

/// Records of one kind a sandbox keeps; beyond, the one with the smallest key goes (for payments,
/// the oldest the sandbox made: their ids count up), so a long run or a flood of requests cannot
/// exhaust memory.
pub const MAX_RECORDS: usize = 20_000;

fn trim<V>(map: &mut BTreeMap<String, V>) {
    while map.len() > MAX_RECORDS {
        map.pop_first();
    }
}

impl State {
    /// Keeps every kind of record within [`MAX_RECORDS`].
    pub fn trim(&mut self) {
        trim(&mut self.payments);
        trim(&mut self.prepared);
        trim(&mut self.customers);
        trim(&mut self.schedules);
        trim(&mut self.receipts);
        trim(&mut self.external_receipts);
        trim(&mut self.certifications);
        trim(&mut self.logis);
    }

    /// A fresh id with `prefix`, unique in this sandbox (12 digits, like PortOne's).
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:012}", 100_000_000_000 + self.counter)
    }

    /// The payments of a `merchant_uid`, newest first.
    pub fn by_merchant_uid(&self, merchant_uid: &str) -> Vec<&Payment> {
        let mut found: Vec<&Payment> = self
            .payments
            .values()
            .filter(|p| p.merchant_uid == merchant_uid)
            .collect();
        found.sort_by_key(|p| std::cmp::Reverse((p.started_at, p.imp_uid.clone())));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_the_newest_records_within_its_limit() {
        let mut state = State::default();
        for _ in 0..MAX_RECORDS + 5 {
            let id = state.next_id("imp_");
            state.payments.insert(
                id.clone(),
                Payment {
                    imp_uid: id,
                    ..Payment::default()
                },
            );
        }
        let newest = state.payments.keys().next_back().cloned();
        state.trim();
        assert_eq!(state.payments.len(), MAX_RECORDS);
        assert_eq!(state.payments.keys().next_back().cloned(), newest);
        assert_eq!(
            state.payments.keys().next().map(String::as_str),
            Some("imp_100000000006"),
            "the five oldest went"
        );
    }
}
