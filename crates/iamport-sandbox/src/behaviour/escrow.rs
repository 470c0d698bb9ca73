//! Escrow payments' deliveries: registered once, then changed; only for escrow payments.

use iamport_server::{
    EscrowLogisEditResponse, EscrowLogisGetResponse, EscrowLogisSaveResponse, inputs,
};
use serde_json::{Value, json};

use super::payments::NO_PAYMENT;
use super::{Args, answer, error, ok, text};
use crate::Inner;
use crate::store::{Logis, PAID};

/// A payment that is not a paid escrow payment has no delivery to register: a conflict with its
/// state (409), not a malformed request.
const NOT_ESCROW: &str = "결제완료된 에스크로 결제건이 아닙니다.";

fn render(l: &Logis) -> Value {
    json!({
        "company": l.company,
        "invoice": l.invoice,
        "sent_at": l.sent_at,
        "applied_at": l.applied_at,
    })
}

fn logis_of(args: &Args, now: i64) -> Logis {
    let logis = Args(args.value("logis").cloned().unwrap_or(Value::Null));
    Logis {
        company: logis.str("company").unwrap_or_default(),
        invoice: logis.str("invoice").unwrap_or_default(),
        sent_at: logis.i64("sent_at").unwrap_or(now),
        applied_at: now,
        request: args.0.clone(),
    }
}

pub(crate) fn get(s: &Inner, input: inputs::EscrowLogisGet) -> EscrowLogisGetResponse {
    let state = s.state();
    let uid = text(&input.imp_uid);
    if !state.payments.contains_key(&uid) {
        return answer!(EscrowLogisGetResponse::NotFound, error(NO_PAYMENT));
    }
    match state.logis.get(&uid) {
        Some(l) => answer!(EscrowLogisGetResponse::Ok, ok(render(l))),
        None => answer!(
            EscrowLogisGetResponse::Conflict,
            error("등록된 배송정보가 존재하지 않습니다.")
        ),
    }
}

pub(crate) fn save(s: &Inner, input: inputs::EscrowLogisSave) -> EscrowLogisSaveResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.imp_uid);
    let Some(p) = state.payments.get(&uid) else {
        return answer!(EscrowLogisSaveResponse::NotFound, error(NO_PAYMENT));
    };
    if !p.escrow || p.status != PAID {
        return answer!(EscrowLogisSaveResponse::Conflict, error(NOT_ESCROW));
    }
    if state.logis.contains_key(&uid) {
        return answer!(
            EscrowLogisSaveResponse::Conflict,
            error("이미 배송정보 등록이 완료된 거래건입니다.")
        );
    }
    let logis = logis_of(&args, now);
    let shown = render(&logis);
    state.logis.insert(uid, logis);
    answer!(EscrowLogisSaveResponse::Ok, ok(shown))
}

pub(crate) fn edit(s: &Inner, input: inputs::EscrowLogisEdit) -> EscrowLogisEditResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.imp_uid);
    if !state.payments.contains_key(&uid) {
        return answer!(EscrowLogisEditResponse::NotFound, error(NO_PAYMENT));
    }
    let Some(old) = state.logis.get(&uid) else {
        return answer!(
            EscrowLogisEditResponse::Conflict,
            error("해당 거래건은 배송정보를 수정할 수 없습니다.")
        );
    };
    let mut logis = logis_of(&args, now);
    logis.applied_at = old.applied_at;
    let shown = render(&logis);
    state.logis.insert(uid, logis);
    answer!(EscrowLogisEditResponse::Ok, ok(shown))
}
