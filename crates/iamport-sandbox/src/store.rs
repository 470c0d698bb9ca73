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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    pub payments: Table<Payment>,
    pub prepared: Table<Prepared>,
    pub customers: Table<Customer>,
    pub schedules: Table<Schedule>,
    pub receipts: Table<Receipt>,
    pub external_receipts: Table<Receipt>,
    pub certifications: Table<Certification>,
    pub logis: Table<Logis>,
    /// The webhook URL of payments that name none.
    pub notice_url: Option<String>,
    counter: u64,
}

/// Records of one kind a sandbox keeps, and the bytes they may take (as JSON); beyond either, the
/// oldest record the sandbox made goes, so a long run or a flood of requests cannot exhaust memory.
pub const MAX_RECORDS: usize = 20_000;
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// Records of one kind by key, in arrival order for eviction. Reads go through `Deref` to the map;
/// writes through [`Table::insert`], [`Table::get_mut`], [`Table::values_mut`], [`Table::remove`].
#[derive(Debug)]
pub struct Table<V> {
    map: BTreeMap<String, V>,
    /// (arrival number, key), oldest first; an entry is stale once `latest` holds another number.
    arrivals: std::collections::VecDeque<(u64, String)>,
    /// key → (its arrival number, its size in bytes when stored)
    latest: std::collections::HashMap<String, (u64, usize)>,
    count: u64,
    bytes: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            arrivals: Default::default(),
            latest: Default::default(),
            count: 0,
            bytes: 0,
        }
    }
}

impl<V> std::ops::Deref for Table<V> {
    type Target = BTreeMap<String, V>;
    fn deref(&self) -> &BTreeMap<String, V> {
        &self.map
    }
}

impl<V: Serialize> Table<V> {
    /// Stores `value` under `key` (a new key arrives last; a replaced one keeps its place), then
    /// drops the oldest records while over [`MAX_RECORDS`] or [`MAX_BYTES`].
    pub fn insert(&mut self, key: String, value: V) {
        let size = serde_json::to_vec(&value).map_or(0, |v| v.len()) + key.len();
        match self.latest.get_mut(&key) {
            Some((_, old)) => {
                self.bytes = self.bytes - *old + size;
                *old = size;
            }
            None => {
                self.count += 1;
                self.arrivals.push_back((self.count, key.clone()));
                self.latest.insert(key.clone(), (self.count, size));
                self.bytes += size;
            }
        }
        self.map.insert(key, value);
        while self.map.len() > MAX_RECORDS || self.bytes > MAX_BYTES {
            let Some((n, oldest)) = self.arrivals.pop_front() else {
                break;
            };
            if self.latest.get(&oldest).is_some_and(|(m, _)| *m == n) {
                self.remove(&oldest);
            }
        }
        if self.arrivals.len() > 2 * self.map.len() + 64 {
            let latest = &self.latest;
            self.arrivals
                .retain(|(n, k)| latest.get(k).is_some_and(|(m, _)| m == n));
        }
    }
}

impl<V> Table<V> {
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut()
    }
    pub fn remove(&mut self, key: &str) -> Option<V> {
        if let Some((_, size)) = self.latest.remove(key) {
            self.bytes -= size;
        }
        self.map.remove(key)
    }
}

impl State {
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
    fn a_table_drops_its_oldest_records_beyond_its_limits() {
        let mut t: Table<String> = Table::default();
        t.insert("zzz_first".into(), "x".into());
        for i in 0..MAX_RECORDS {
            t.insert(format!("m_{i:06}"), "x".into());
        }
        t.insert("a_last".into(), "x".into());
        assert_eq!(t.len(), MAX_RECORDS);
        assert!(!t.contains_key("zzz_first") && !t.contains_key("m_000000"));
        assert!(t.contains_key("a_last") && t.contains_key("m_000001"));

        // a replaced record keeps its place; a removed one is not counted
        let mut t: Table<String> = Table::default();
        t.insert("a".into(), "x".repeat(MAX_BYTES / 2));
        t.insert("b".into(), "y".into());
        t.insert("a".into(), "x".repeat(MAX_BYTES / 2 - 100));
        assert_eq!(t.len(), 2);
        t.remove("b");
        t.insert("b".into(), "y".repeat(MAX_BYTES / 2 + 200));
        assert!(!t.contains_key("a"), "over the byte limit: the oldest went");
        assert!(t.contains_key("b"));
    }
}
