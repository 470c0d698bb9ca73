//! Cash receipts: of a payment (by `imp_uid`) and of a sale made elsewhere (by `merchant_uid`).

use iamport_server::{
    GetExternalReceiptResponse, GetReceiptResponse, IssueExternalReceiptResponse,
    IssueReceiptResponse, RevokeExternalReceiptResponse, RevokeReceiptResponse, inputs,
};
use serde_json::{Value, json};

use super::payments::NO_PAYMENT;
use super::{Args, answer, error, ok, refused, text, to_json};
use crate::Inner;
use crate::store::{PAID, Receipt, State};

const NO_RECEIPT: &str = "현금영수증 발행 내역이 존재하지 않습니다.";
const ALREADY_ISSUED: &str = "이미 현금영수증이 발행된 거래입니다.";

fn render(key_name: &str, key: &str, r: &Receipt) -> Value {
    let mut v = to_json(r);
    v[key_name] = json!(key);
    v
}

fn issue(state: &mut State, now: i64, amount: f64, args: &Args) -> Receipt {
    let receipt_tid = state.next_id("receipt_");
    let amount = amount as i64;
    let vat = args
        .i64("vat_amount")
        .or(args.i64("vat"))
        .unwrap_or(amount / 11);
    Receipt {
        receipt_url: format!("https://sandbox.iamport.local/cash-receipts/{receipt_tid}"),
        apply_num: format!("{:09}", now.rem_euclid(1_000_000_000)),
        receipt_tid,
        kind: args.str("type").unwrap_or_else(|| "person".into()),
        amount,
        vat,
        applied_at: now,
        cancelled_at: 0,
    }
}

/// A receipt that is issued and not revoked.
fn live(r: Option<&Receipt>) -> bool {
    r.is_some_and(|r| r.cancelled_at == 0)
}

pub(crate) fn get(s: &Inner, input: inputs::GetReceipt) -> GetReceiptResponse {
    let state = s.state();
    let uid = text(&input.imp_uid);
    match state.receipts.get(&uid) {
        Some(r) => answer!(GetReceiptResponse::Ok, ok(render("imp_uid", &uid, r))),
        None => answer!(GetReceiptResponse::NotFound, error(NO_RECEIPT)),
    }
}

pub(crate) fn issue_for_payment(s: &Inner, input: inputs::IssueReceipt) -> IssueReceiptResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.imp_uid);
    let Some(p) = state.payments.get(&uid) else {
        return answer!(IssueReceiptResponse::Ok, refused(NO_PAYMENT));
    };
    if p.status != PAID {
        return answer!(
            IssueReceiptResponse::Ok,
            refused("결제완료 상태의 결제건에만 현금영수증을 발행할 수 있습니다.")
        );
    }
    if live(state.receipts.get(&uid)) {
        return answer!(IssueReceiptResponse::Ok, refused(ALREADY_ISSUED));
    }
    let amount = p.amount - p.cancel_amount;
    let receipt = issue(&mut state, now, amount, &args);
    let shown = render("imp_uid", &uid, &receipt);
    state.receipts.insert(uid.clone(), receipt);
    if let Some(p) = state.payments.get_mut(&uid) {
        p.cash_receipt_issued = true;
        p.updated_at = now;
    }
    answer!(IssueReceiptResponse::Ok, ok(shown))
}

pub(crate) fn revoke_for_payment(s: &Inner, input: inputs::RevokeReceipt) -> RevokeReceiptResponse {
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.imp_uid);
    let Some(r) = state.receipts.get_mut(&uid).filter(|r| r.cancelled_at == 0) else {
        return answer!(RevokeReceiptResponse::Ok, refused(NO_RECEIPT));
    };
    r.cancelled_at = now;
    let shown = render("imp_uid", &uid, r);
    if let Some(p) = state.payments.get_mut(&uid) {
        p.cash_receipt_issued = false;
        p.updated_at = now;
    }
    answer!(RevokeReceiptResponse::Ok, ok(shown))
}

pub(crate) fn get_external(
    s: &Inner,
    input: inputs::GetExternalReceipt,
) -> GetExternalReceiptResponse {
    let state = s.state();
    let uid = text(&input.merchant_uid);
    match state.external_receipts.get(&uid) {
        Some(r) => answer!(
            GetExternalReceiptResponse::Ok,
            ok(render("merchant_uid", &uid, r))
        ),
        None => answer!(GetExternalReceiptResponse::NotFound, error(NO_RECEIPT)),
    }
}

pub(crate) fn issue_external(
    s: &Inner,
    input: inputs::IssueExternalReceipt,
) -> IssueExternalReceiptResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.merchant_uid);
    if live(state.external_receipts.get(&uid)) {
        return answer!(IssueExternalReceiptResponse::Ok, refused(ALREADY_ISSUED));
    }
    let amount = args.f64("amount").unwrap_or_default();
    let receipt = issue(&mut state, now, amount, &args);
    let shown = render("merchant_uid", &uid, &receipt);
    state.external_receipts.insert(uid, receipt);
    answer!(IssueExternalReceiptResponse::Ok, ok(shown))
}

pub(crate) fn revoke_external(
    s: &Inner,
    input: inputs::RevokeExternalReceipt,
) -> RevokeExternalReceiptResponse {
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.merchant_uid);
    let Some(r) = state
        .external_receipts
        .get_mut(&uid)
        .filter(|r| r.cancelled_at == 0)
    else {
        return answer!(RevokeExternalReceiptResponse::NotFound, error(NO_RECEIPT));
    };
    r.cancelled_at = now;
    answer!(
        RevokeExternalReceiptResponse::Ok,
        ok(render("merchant_uid", &uid, r))
    )
}
