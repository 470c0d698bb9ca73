//! Virtual accounts issued through the API (`POST /vbanks`), changed and revoked. A deposit is the
//! bank's move: the control API's `deposit`.

use std::sync::Arc;

use iamport_server::{CreateVbankResponse, ModifyVbankResponse, RevokeVbankResponse, inputs};

use super::checkout::{self, NewPayment, Vbank, bank_name};
use super::payments::{NO_PAYMENT, render};
use super::{Args, answer, error, ok, refused, text};
use crate::store::{CANCELLED, READY};
use crate::{Inner, Notice};

const NOT_ISSUED: &str = "입금대기 상태의 가상계좌 결제건이 아닙니다.";

pub(crate) fn create(s: &Arc<Inner>, input: inputs::CreateVbank) -> CreateVbankResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let due = args.i64("vbank_due").unwrap_or_default();
    if due <= now {
        return answer!(
            CreateVbankResponse::Ok,
            refused("가상계좌 입금기한(vbank_due)은 현재 시각 이후여야 합니다.")
        );
    }
    let code = args.str("vbank_code").unwrap_or_default();
    let mut state = s.state();
    let num = args
        .str("vbank_num")
        .unwrap_or_else(|| format!("5621{:010}", 1_000_000 + state.payments.len()));
    let made = checkout::make(
        &mut state,
        now,
        NewPayment {
            merchant_uid: args.str("merchant_uid").unwrap_or_default(),
            amount: args.f64("amount").unwrap_or_default(),
            pay_method: "vbank".into(),
            pg_provider: "html5_inicis".into(),
            name: args.str("name"),
            buyer_name: args.str("buyer_name"),
            buyer_email: args.str("buyer_email"),
            buyer_tel: args.str("buyer_tel"),
            buyer_addr: args.str("buyer_addr"),
            buyer_postcode: args.str("buyer_postcode"),
            custom_data: args.str("custom_data"),
            notice_url: args.str("notice_url"),
            channel: "api".into(),
            vbank: Some(Vbank {
                name: bank_name(&code).into(),
                code,
                num,
                holder: args
                    .str("vbank_holder")
                    .unwrap_or_else(|| "(주)포트원".into()),
                due,
            }),
            ..NewPayment::default()
        },
    );
    drop(state);
    match made {
        Ok(p) => {
            s.notify(vec![Notice::of(&p)]);
            answer!(CreateVbankResponse::Ok, ok(render(&p)))
        }
        Err(message) => answer!(CreateVbankResponse::Ok, refused(&message)),
    }
}

pub(crate) fn modify(s: &Inner, input: inputs::ModifyVbank) -> ModifyVbankResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let Some(p) = state.payments.get_mut(&text(&input.imp_uid)) else {
        return answer!(ModifyVbankResponse::NotFound, error(NO_PAYMENT));
    };
    if p.pay_method != "vbank" || p.status != READY {
        return answer!(ModifyVbankResponse::Ok, refused(NOT_ISSUED));
    }
    if let Some(due) = args.i64("vbank_due") {
        if due <= now {
            return answer!(
                ModifyVbankResponse::Ok,
                refused("가상계좌 입금기한(vbank_due)은 현재 시각 이후여야 합니다.")
            );
        }
        p.vbank_date = Some(due);
    }
    if let Some(amount) = args.f64("amount") {
        p.amount = amount;
    }
    p.updated_at = now;
    answer!(ModifyVbankResponse::Ok, ok(render(p)))
}

pub(crate) fn revoke(s: &Arc<Inner>, input: inputs::RevokeVbank) -> RevokeVbankResponse {
    let now = s.now();
    let mut state = s.state();
    let Some(p) = state.payments.get_mut(&text(&input.imp_uid)) else {
        return answer!(RevokeVbankResponse::NotFound, error(NO_PAYMENT));
    };
    if p.pay_method != "vbank" || p.status != READY {
        return answer!(RevokeVbankResponse::Ok, refused(NOT_ISSUED));
    }
    p.status = CANCELLED.into();
    p.cancelled_at = now;
    p.updated_at = now;
    p.cancel_reason = Some("가상계좌 발급취소".into());
    let shown = render(p);
    let notice = Notice::of(p);
    drop(state);
    s.notify(vec![notice]);
    answer!(RevokeVbankResponse::Ok, ok(shown))
}
