//! Making a payment: what the browser SDK and the PG do when a checkout completes (the control API's
//! checkout), and what a billing-key payment, a schedule or an API-issued virtual account does. One
//! place checks the amount registered in advance and the `merchant_uid` already paid.

use crate::store::{FAILED, PAID, Payment, READY, State};

/// A card: its company and masked number.
#[derive(Clone, Debug, Default)]
pub(crate) struct Card {
    pub code: String,
    pub name: String,
    pub number: String,
    pub quota: i64,
}

impl Card {
    /// The card of a (raw) card number: the company from the first digit, the number masked as
    /// PortOne masks it.
    pub(crate) fn from_number(number: &str) -> Self {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let (code, name) = match digits.chars().next() {
            Some('3') => ("365", "삼성카드"),
            Some('4') => ("366", "신한카드"),
            Some('5') => ("367", "현대카드"),
            Some('6') => ("368", "롯데카드"),
            Some('9') => ("361", "BC카드"),
            _ => ("381", "KB국민카드"),
        };
        let masked = if digits.len() >= 10 {
            format!(
                "{}******{}",
                &digits[..6],
                &digits[digits.len().saturating_sub(4)..]
            )
        } else {
            "************".into()
        };
        Self {
            code: code.into(),
            name: name.into(),
            number: masked,
            quota: 0,
        }
    }
}

/// A virtual account to issue.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vbank {
    pub code: String,
    pub name: String,
    pub num: String,
    pub holder: String,
    pub due: i64,
}

/// The bank name of a KFTC bank code (the ones the sandbox's virtual accounts use).
pub(crate) fn bank_name(code: &str) -> &'static str {
    match code {
        "004" => "KB국민은행",
        "011" => "NH농협은행",
        "020" => "우리은행",
        "081" => "하나은행",
        "088" => "신한은행",
        "003" => "IBK기업은행",
        "090" => "카카오뱅크",
        _ => "은행",
    }
}

/// A payment to make.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewPayment {
    pub merchant_uid: String,
    pub amount: f64,
    pub currency: Option<String>,
    pub pay_method: String,
    pub pg_provider: String,
    pub name: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_email: Option<String>,
    pub buyer_tel: Option<String>,
    pub buyer_addr: Option<String>,
    pub buyer_postcode: Option<String>,
    pub custom_data: Option<String>,
    pub notice_url: Option<String>,
    pub customer_uid: Option<String>,
    pub customer_uid_usage: Option<String>,
    pub escrow: bool,
    pub channel: String,
    pub card: Option<Card>,
    pub vbank: Option<Vbank>,
    /// The PG declines it with this reason.
    pub decline: Option<String>,
}

pub(crate) const ALREADY_PAID: &str = "이미 결제가 완료된 merchant_uid입니다.";

/// Makes the payment and stores it: `paid` (a card), `ready` (a virtual account, until deposited)
/// or `failed` (declined, or an amount other than the one registered in advance). `Err`: refused
/// before any payment was made (the `merchant_uid` is already paid).
pub(crate) fn make(state: &mut State, now: i64, new: NewPayment) -> Result<Payment, String> {
    if state
        .by_merchant_uid(&new.merchant_uid)
        .iter()
        .any(|p| p.status == PAID)
    {
        return Err(ALREADY_PAID.into());
    }
    let imp_uid = state.next_id("imp_");
    let pg_tid = format!("sandbox_{}", &imp_uid[4..]);
    let mismatch = state.prepared.get(&new.merchant_uid).and_then(|prepared| {
        (prepared.amount != new.amount).then(|| {
            format!(
                "사전등록된 결제금액({})과 결제요청금액({})이 일치하지 않습니다.",
                prepared.amount, new.amount
            )
        })
    });
    let fail_reason = mismatch.or(new.decline.clone());
    let mut p = Payment {
        imp_uid: imp_uid.clone(),
        merchant_uid: new.merchant_uid,
        pay_method: new.pay_method,
        channel: new.channel,
        pg_provider: new.pg_provider,
        pg_tid,
        pg_id: "iamport_sandbox".into(),
        sandbox: false,
        escrow: new.escrow,
        name: new.name,
        amount: new.amount,
        currency: new.currency.unwrap_or_else(|| "KRW".into()),
        buyer_name: new.buyer_name,
        buyer_email: new.buyer_email,
        buyer_tel: new.buyer_tel,
        buyer_addr: new.buyer_addr,
        buyer_postcode: new.buyer_postcode,
        custom_data: new.custom_data,
        started_at: now,
        updated_at: now,
        customer_uid: new.customer_uid,
        customer_uid_usage: new.customer_uid_usage,
        notice_url: new.notice_url,
        ..Payment::default()
    };
    if let Some(card) = new.card {
        p.card_code = Some(card.code);
        p.card_name = Some(card.name);
        p.card_number = Some(card.number);
        p.card_quota = Some(card.quota);
        p.card_type = Some(0);
    }
    if let Some(reason) = fail_reason {
        p.status = FAILED.into();
        p.failed_at = now;
        p.fail_reason = Some(reason);
    } else if let Some(v) = new.vbank {
        p.status = READY.into();
        p.vbank_code = Some(v.code);
        p.vbank_name = Some(v.name);
        p.vbank_num = Some(v.num);
        p.vbank_holder = Some(v.holder);
        p.vbank_date = Some(v.due);
        p.vbank_issued_at = Some(now);
    } else {
        p.status = PAID.into();
        p.paid_at = now;
        p.apply_num = Some(format!("{:08}", now.rem_euclid(100_000_000)));
        p.receipt_url = Some(format!("https://sandbox.iamport.local/receipts/{imp_uid}"));
    }
    state.payments.insert(imp_uid, p.clone());
    Ok(p)
}

/// A deposit into a virtual account: the payment becomes `paid`.
pub(crate) fn deposit(p: &mut Payment, now: i64) {
    p.status = PAID.into();
    p.paid_at = now;
    p.updated_at = now;
    p.receipt_url = Some(format!(
        "https://sandbox.iamport.local/receipts/{}",
        p.imp_uid
    ));
}
