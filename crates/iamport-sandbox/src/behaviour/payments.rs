//! Payments: lookups (one, several, by `merchant_uid`, by status with paging), the amount
//! registered in advance (`/payments/prepare`), and cancellation, full or partial.

use std::sync::Arc;

use iamport_server::{
    CancelPaymentResponse, EditPreparePaymentResponse, GetAllPaymentsByMerchantUidResponse,
    GetPaymentByImpUidResponse, GetPaymentByMerchantUidResponse, GetPaymentListByImpUidResponse,
    GetPaymentPrepareByMerchantUidResponse, GetPaymentsByStatusResponse, PreparePaymentResponse,
    inputs,
};
use serde_json::{Value, json};

use super::checkout::{check_amount, check_merchant_uid, money};
use super::{Args, answer, error, ok, page, refused, text, to_json};
use crate::store::{CANCELLED, Cancellation, PAID, Payment, Prepared, READY, RefundAccount, State};
use crate::{Inner, Notice};

pub(crate) const NO_PAYMENT: &str = "존재하지 않는 결제정보입니다";
const NO_PAYMENTS: &str = "해당되는 결제건을 찾지 못하였습니다.";
const NO_PREPARED: &str = "사전등록된 결제정보가 존재하지 않습니다.";

/// Listings answer 20 per page unless `limit` says otherwise.
pub(crate) const DEFAULT_LIMIT: u64 = 20;
/// A listing without `from` starts 90 days before `to`.
const DEFAULT_SPAN_SECS: i64 = 90 * 24 * 3600;

pub(crate) fn render(p: &Payment) -> Value {
    to_json(p)
}

pub(crate) fn get_by_imp_uid(
    s: &Inner,
    input: inputs::GetPaymentByImpUid,
) -> GetPaymentByImpUidResponse {
    let state = s.state();
    match state.payments.get(&text(&input.imp_uid)) {
        Some(p) if !p.sandbox || input.include_sandbox == Some(true) => {
            answer!(GetPaymentByImpUidResponse::Ok, ok(render(p)))
        }
        _ => answer!(GetPaymentByImpUidResponse::NotFound, error(NO_PAYMENT)),
    }
}

pub(crate) fn get_list(
    s: &Inner,
    input: inputs::GetPaymentListByImpUid,
) -> GetPaymentListByImpUidResponse {
    let state = s.state();
    let imp_uids = input.imp_uid.unwrap_or_default();
    let merchant_uids = input.merchant_uid.unwrap_or_default();
    let mut found: Vec<Value> = vec![];
    let mut missing = 0;
    for uid in &imp_uids {
        match state.payments.get(uid) {
            Some(p) => found.push(render(p)),
            None => missing += 1,
        }
    }
    for uid in &merchant_uids {
        match state.by_merchant_uid(uid).first() {
            Some(p) => found.push(render(p)),
            None => missing += 1,
        }
    }
    match (found.is_empty(), missing) {
        (true, _) => answer!(GetPaymentListByImpUidResponse::NotFound, error(NO_PAYMENTS)),
        (false, 0) => answer!(GetPaymentListByImpUidResponse::Ok, ok(Value::Array(found))),
        (false, _) => answer!(
            GetPaymentListByImpUidResponse::MultiStatus,
            ok(Value::Array(found))
        ),
    }
}

/// Whether `p` is in `status` (`all` is every status).
fn in_status(p: &Payment, status: &str) -> bool {
    status == "all" || p.status == status
}

/// Sorts by `sorting` (`started`, `paid`, `updated`; a leading `-` is descending, the default
/// `-started`).
fn sort(list: &mut [&Payment], sorting: Option<String>) {
    let sorting = sorting.unwrap_or_else(|| "-started".into());
    let (descending, key) = match sorting.strip_prefix('-') {
        Some(key) => (true, key.to_owned()),
        None => (false, sorting),
    };
    list.sort_by_key(|p| {
        let t = match key.as_str() {
            "paid" => p.paid_at,
            "updated" => p.updated_at,
            _ => p.started_at,
        };
        (t, p.imp_uid.clone())
    });
    if descending {
        list.reverse();
    }
}

/// One page of payments as the paged listings answer it: `total`, `previous`, `next`, `list`.
pub(crate) fn paged(list: &[&Payment], page_no: Option<i64>, limit: u64) -> Value {
    let (total, previous, next, items) = page(list, page_no, limit);
    json!({
        "total": total,
        "previous": previous,
        "next": next,
        "list": items.into_iter().map(render).collect::<Vec<_>>(),
    })
}

/// The payments of an order in `status` (`all`: every one), in `sorting`'s order.
fn of_order<'a>(
    state: &'a State,
    merchant_uid: &str,
    status: &str,
    sorting: Option<String>,
) -> Vec<&'a Payment> {
    let mut found: Vec<&Payment> = state
        .by_merchant_uid(merchant_uid)
        .into_iter()
        .filter(|p| in_status(p, status))
        .collect();
    sort(&mut found, sorting);
    found
}

pub(crate) fn get_by_merchant_uid(
    s: &Inner,
    input: inputs::GetPaymentByMerchantUid,
) -> GetPaymentByMerchantUidResponse {
    let state = s.state();
    let found = of_order(
        &state,
        &text(&input.merchant_uid),
        &text(&input.payment_status),
        input.sorting.map(|s| text(&s)),
    );
    match found.first() {
        Some(p) => answer!(GetPaymentByMerchantUidResponse::Ok, ok(render(p))),
        None => answer!(GetPaymentByMerchantUidResponse::NotFound, error(NO_PAYMENT)),
    }
}

pub(crate) fn get_all_by_merchant_uid(
    s: &Inner,
    input: inputs::GetAllPaymentsByMerchantUid,
) -> GetAllPaymentsByMerchantUidResponse {
    let state = s.state();
    let found = of_order(
        &state,
        &text(&input.merchant_uid),
        &text(&input.payment_status),
        input.sorting.map(|s| text(&s)),
    );
    if found.is_empty() {
        return answer!(
            GetAllPaymentsByMerchantUidResponse::NotFound,
            error(NO_PAYMENT)
        );
    }
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l.get());
    answer!(
        GetAllPaymentsByMerchantUidResponse::Ok,
        ok(paged(&found, input.page, limit))
    )
}

pub(crate) fn get_by_status(
    s: &Inner,
    input: inputs::GetPaymentsByStatus,
) -> GetPaymentsByStatusResponse {
    let now = s.now();
    let state = s.state();
    let status = text(&input.payment_status);
    let to = input.to.unwrap_or(now);
    let from = input.from.unwrap_or(to.saturating_sub(DEFAULT_SPAN_SECS));
    let mut found: Vec<&Payment> = state
        .payments
        .values()
        .filter(|p| in_status(p, &status))
        .filter(|p| (from..=to).contains(&p.status_time()))
        .collect();
    sort(&mut found, input.sorting.map(|s| text(&s)));
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l.get());
    answer!(
        GetPaymentsByStatusResponse::Ok,
        ok(paged(&found, input.page, limit))
    )
}

// --- prepare -----------------------------------------------------------------------------------

fn render_prepared(p: &Prepared) -> Value {
    to_json(p)
}

pub(crate) fn prepare(s: &Inner, input: inputs::PreparePayment) -> PreparePaymentResponse {
    let args = Args::of(&input.body);
    let (Some(merchant_uid), Some(amount)) = (args.str("merchant_uid"), args.f64("amount")) else {
        return answer!(
            PreparePaymentResponse::BadRequest,
            error("merchant_uid와 amount는 필수입니다.")
        );
    };
    if let Err(message) = check_merchant_uid(&merchant_uid).and(check_amount(amount)) {
        return answer!(PreparePaymentResponse::Ok, refused(&message));
    }
    let mut state = s.state();
    if state.prepared.contains_key(&merchant_uid) {
        return answer!(
            PreparePaymentResponse::Ok,
            refused("이미 등록된 merchant_uid입니다.")
        );
    }
    let prepared = Prepared {
        merchant_uid: merchant_uid.clone(),
        amount,
        currency: args.str("currency").unwrap_or_else(|| "KRW".into()),
    };
    let shown = render_prepared(&prepared);
    state.prepared.insert(merchant_uid, prepared);
    answer!(PreparePaymentResponse::Ok, ok(shown))
}

pub(crate) fn edit_prepare(
    s: &Inner,
    input: inputs::EditPreparePayment,
) -> EditPreparePaymentResponse {
    let args = Args::of(&input.body);
    let mut state = s.state();
    let merchant_uid = args.str("merchant_uid").unwrap_or_default();
    let Some(prepared) = state.prepared.get_mut(&merchant_uid) else {
        return answer!(EditPreparePaymentResponse::NotFound, error(NO_PREPARED));
    };
    if let Some(amount) = args.f64("amount") {
        if let Err(message) = check_amount(amount) {
            return answer!(EditPreparePaymentResponse::Ok, refused(&message));
        }
        prepared.amount = amount;
    }
    if let Some(currency) = args.str("currency") {
        prepared.currency = currency;
    }
    let prepared = prepared.clone();
    let shown = render_prepared(&prepared);
    // stored again, so the table counts its new size
    state.prepared.insert(merchant_uid, prepared);
    answer!(EditPreparePaymentResponse::Ok, ok(shown))
}

pub(crate) fn get_prepared(
    s: &Inner,
    input: inputs::GetPaymentPrepareByMerchantUid,
) -> GetPaymentPrepareByMerchantUidResponse {
    let state = s.state();
    match state.prepared.get(&text(&input.merchant_uid)) {
        Some(p) => answer!(
            GetPaymentPrepareByMerchantUidResponse::Ok,
            ok(render_prepared(p))
        ),
        None => answer!(
            GetPaymentPrepareByMerchantUidResponse::Ok,
            refused(NO_PREPARED)
        ),
    }
}

// --- cancel ------------------------------------------------------------------------------------

pub(crate) fn cancel(s: &Arc<Inner>, input: inputs::CancelPayment) -> CancelPaymentResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let imp_uid = match (args.str("imp_uid"), args.str("merchant_uid")) {
        (Some(uid), _) => Some(uid),
        (None, Some(merchant_uid)) => state
            .by_merchant_uid(&merchant_uid)
            .into_iter()
            .find(|p| p.status == PAID)
            .or_else(|| state.by_merchant_uid(&merchant_uid).into_iter().next())
            .map(|p| p.imp_uid.clone()),
        (None, None) => {
            return answer!(
                CancelPaymentResponse::Ok,
                refused("imp_uid 또는 merchant_uid 중 하나는 필수입니다.")
            );
        }
    };
    let cancellation_id = state.next_id("cancel_");
    let Some(p) = imp_uid.and_then(|uid| state.payments.get_mut(&uid)) else {
        return answer!(
            CancelPaymentResponse::Ok,
            refused("취소할 결제건이 존재하지 않습니다.")
        );
    };
    match p.status.as_str() {
        CANCELLED => {
            return answer!(
                CancelPaymentResponse::Ok,
                refused("이미 전액취소된 주문입니다.")
            );
        }
        PAID => {}
        READY if p.pay_method == "vbank" => {
            return answer!(
                CancelPaymentResponse::Ok,
                refused(
                    "가상계좌 입금 전 결제건은 취소할 수 없습니다. 가상계좌 발급취소(DELETE /vbanks/{imp_uid})를 이용해주세요."
                )
            );
        }
        _ => {
            return answer!(
                CancelPaymentResponse::Ok,
                refused("결제완료 상태가 아닌 결제건은 취소할 수 없습니다.")
            );
        }
    }
    let cancellable = money(p.cancellable());
    let amount = match args.f64("amount") {
        // omitted or 0: the whole rest, as the spec says
        None | Some(0.0) => cancellable,
        Some(a) if a.is_finite() && a > 0.0 => money(a),
        Some(a) => {
            return answer!(
                CancelPaymentResponse::Ok,
                refused(&format!("취소요청금액(amount)은 0보다 커야 합니다. ({a})"))
            );
        }
    };
    if let Some(checksum) = args.f64("checksum")
        && money(checksum) != cancellable
    {
        return answer!(
            CancelPaymentResponse::Ok,
            refused(&format!(
                "취소가능금액이 일치하지 않습니다. (checksum: {checksum}, 취소가능금액: {cancellable})"
            ))
        );
    }
    if amount > cancellable {
        return answer!(
            CancelPaymentResponse::Ok,
            refused(&format!(
                "취소요청금액({amount})이 취소가능금액({cancellable})보다 큽니다."
            ))
        );
    }
    if p.pay_method == "vbank" {
        let given = |key: &str| args.str(key).filter(|v| !v.trim().is_empty());
        match (
            given("refund_holder"),
            given("refund_bank"),
            given("refund_account"),
        ) {
            (Some(holder), Some(bank), Some(account)) => {
                p.refund_account = Some(RefundAccount {
                    holder,
                    bank,
                    account,
                })
            }
            _ => {
                return answer!(
                    CancelPaymentResponse::Ok,
                    refused(
                        "가상계좌 결제건의 환불에는 환불계좌 정보(refund_holder, refund_bank, refund_account)가 필요합니다."
                    )
                );
            }
        }
    }
    let reason = args.str("reason").unwrap_or_else(|| "취소요청".into());
    p.cancel_amount = money(p.cancel_amount + amount);
    p.cancel_history.push(Cancellation {
        pg_tid: p.pg_tid.clone(),
        amount,
        cancelled_at: now,
        reason: reason.clone(),
        cancellation_id,
        receipt_url: format!(
            "https://sandbox.iamport.local/receipts/{}/cancel",
            p.imp_uid
        ),
    });
    p.cancel_receipt_urls.push(format!(
        "https://sandbox.iamport.local/receipts/{}/cancel",
        p.imp_uid
    ));
    p.cancel_reason = Some(reason);
    p.cancelled_at = now;
    p.updated_at = now;
    let full = money(p.cancellable()) <= 0.0;
    if full {
        p.status = CANCELLED.into();
        // the cash receipt of a payment cancelled in full is revoked with it
        if p.cash_receipt_issued {
            p.cash_receipt_issued = false;
        }
    }
    let shown = render(p);
    let notice = full.then(|| Notice::of(p));
    let uid = p.imp_uid.clone();
    if full && let Some(receipt) = state.receipts.get_mut(&uid).filter(|r| r.cancelled_at == 0) {
        receipt.cancelled_at = now;
    }
    drop(state);
    s.notify(notice.into_iter().collect());
    answer!(CancelPaymentResponse::Ok, ok(shown))
}
