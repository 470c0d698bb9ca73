//! Billing keys (`/subscribe/customers`), payments with them (`onetime`, `again`) and the payments
//! scheduled on them, which run when the sandbox's clock reaches their time.
//!
//! A card number ending in `0000` is issued a key, but the PG declines every payment with it: the
//! way to test a failed payment or schedule.

use std::sync::Arc;

use iamport_server::{
    AgainResponse, CustomerDeleteResponse, CustomerPaymentsResponse, CustomerSaveResponse,
    CustomerSchedulesResponse, CustomerViewMultipleResponse, CustomerViewResponse,
    FindSchedulesByCustomerResponse, FindSchedulesByRangeResponse, GetScheduleByMidResponse,
    OnetimeResponse, RescheduleByMidResponse, RetryScheduleByMidResponse, ScheduleResponse,
    UnscheduleResponse, UpdateScheduleByMidResponse, inputs,
};
use serde_json::{Value, json};

use super::checkout::{self, Card, NewPayment, check_amount, check_merchant_uid};
use super::payments::{DEFAULT_LIMIT, paged, render};
use super::{Args, answer, error, ok, page, refused, text, to_json};
use crate::store::{Customer, FAILED, PAID, Payment, Schedule, State};
use crate::{Inner, Notice};

const NO_CUSTOMER: &str = "유효하지 않은 customer_uid입니다.";
const UNKNOWN_BUYER: &str = "등록되지 않은 구매자입니다.";
const NO_SCHEDULE: &str = "존재하지 않는 결제예약입니다.";
const DECLINED: &str = "카드 승인에 실패하였습니다. (한도초과)";
pub(crate) const SCHEDULED: &str = "scheduled";
const EXECUTED: &str = "executed";
const REVOKED: &str = "revoked";
const DEFAULT_PG: &str = "html5_inicis";

fn render_customer(c: &Customer) -> Value {
    to_json(c)
}

pub(crate) fn render_schedule(s: &Schedule, customer: Option<&Customer>) -> Value {
    let mut v = to_json(s);
    if let Some(c) = customer {
        v["pg_provider"] = json!(c.pg_provider);
        v["pg_id"] = json!(c.pg_id);
        if let Some(id) = &c.customer_id {
            v["customer_id"] = json!(id);
        }
    }
    v
}

/// The card a billing-key payment is made with, and whether the PG declines it.
fn card_of(c: &Customer) -> Card {
    Card {
        code: c.card_code.clone(),
        name: c.card_name.clone(),
        number: c.card_number.clone(),
        quota: 0,
    }
}

/// Checks a card's expiry (`YYYY-MM`, `YYYYMM` or `YYMM`) against the sandbox's month.
fn check_expiry(expiry: &str, now: i64) -> Result<(), String> {
    let digits: String = expiry.chars().filter(char::is_ascii_digit).collect();
    let (year, month) = match digits.len() {
        6 => (digits[..4].parse::<i64>(), digits[4..].parse::<i64>()),
        4 => (
            digits[..2].parse::<i64>().map(|y| 2000 + y),
            digits[2..].parse::<i64>(),
        ),
        _ => return Err("카드 유효기간(expiry)은 YYYY-MM 형식이어야 합니다.".into()),
    };
    let (Ok(year), Ok(month)) = (year, month) else {
        return Err("카드 유효기간(expiry)은 YYYY-MM 형식이어야 합니다.".into());
    };
    if !(1..=12).contains(&month) {
        return Err("카드 유효기간(expiry)의 월이 올바르지 않습니다.".into());
    }
    let (now_year, now_month) = year_month(now);
    if (year, month) < (now_year, now_month) {
        return Err("유효기간이 지난 카드입니다.".into());
    }
    Ok(())
}

/// The (year, month) of a UNIX time, in KST.
fn year_month(unix: i64) -> (i64, i64) {
    let days = (unix + 9 * 3600).div_euclid(86_400);
    // Howard Hinnant's civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// A billing key from a card, checked; stored under `customer_uid` (replacing an older one).
fn issue_key(
    state: &mut State,
    now: i64,
    customer_uid: &str,
    args: &Args,
) -> Result<Customer, String> {
    let inserted = state
        .customers
        .get(customer_uid)
        .map_or(now, |old| old.inserted);
    let mut customer = card_key(now, customer_uid, args)?;
    customer.inserted = inserted;
    state
        .customers
        .insert(customer_uid.to_owned(), customer.clone());
    Ok(customer)
}

/// A billing key from a card, checked, not stored (a `onetime` payment without `customer_uid`
/// pays with it and forgets it).
fn card_key(now: i64, customer_uid: &str, args: &Args) -> Result<Customer, String> {
    let number = args.str("card_number").unwrap_or_default();
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if !(14..=16).contains(&digits) {
        return Err(
            "카드정보 인증 및 빌링키 발급에 실패하였습니다. (카드번호가 올바르지 않습니다)".into(),
        );
    }
    check_expiry(&args.str("expiry").unwrap_or_default(), now)?;
    let card = Card::from_number(&number);
    let pg = args.str("pg").unwrap_or_else(|| DEFAULT_PG.into());
    let (pg_provider, pg_id) = match pg.split_once('.') {
        Some((provider, id)) => (provider.to_owned(), id.to_owned()),
        None => (pg, "iamport_sandbox".to_owned()),
    };
    let customer = Customer {
        customer_uid: customer_uid.to_owned(),
        pg_provider,
        pg_id,
        sandbox: false,
        customer_id: args.str("customer_id"),
        card_name: card.name,
        card_code: card.code,
        card_number: card.number,
        card_type: 0,
        customer_name: args.str("customer_name").or_else(|| args.str("buyer_name")),
        customer_tel: args.str("customer_tel").or_else(|| args.str("buyer_tel")),
        customer_email: args
            .str("customer_email")
            .or_else(|| args.str("buyer_email")),
        customer_addr: args.str("customer_addr"),
        customer_postcode: args.str("customer_postcode"),
        inserted: now,
        updated: now,
        declines: number.trim_end().ends_with("0000"),
    };
    serde_json::from_value::<iamport_server::types::CustomerAnnotation>(render_customer(&customer))
        .map_err(|e| format!("빌링키 정보가 올바르지 않습니다: {e}"))?;
    Ok(customer)
}

/// A payment with a billing key (or a raw card, for `onetime`).
fn pay(
    state: &mut State,
    now: i64,
    customer: &Customer,
    args: &Args,
    usage: &str,
) -> Result<Payment, String> {
    checkout::make(
        state,
        now,
        NewPayment {
            merchant_uid: args.str("merchant_uid").unwrap_or_default(),
            amount: args.f64("amount").unwrap_or_default(),
            currency: args.str("currency"),
            pay_method: "card".into(),
            pg_provider: customer.pg_provider.clone(),
            name: args.str("name"),
            buyer_name: args
                .str("buyer_name")
                .or_else(|| customer.customer_name.clone()),
            buyer_email: args
                .str("buyer_email")
                .or_else(|| customer.customer_email.clone()),
            buyer_tel: args
                .str("buyer_tel")
                .or_else(|| customer.customer_tel.clone()),
            buyer_addr: args.str("buyer_addr"),
            buyer_postcode: args.str("buyer_postcode"),
            custom_data: args.str("custom_data"),
            notice_url: args.str("notice_url"),
            customer_uid: Some(customer.customer_uid.clone()),
            customer_uid_usage: Some(usage.into()),
            channel: "api".into(),
            card: Some(card_of(customer)),
            decline: customer.declines.then(|| DECLINED.to_owned()),
            ..NewPayment::default()
        },
    )
}

pub(crate) fn save(s: &Inner, input: inputs::CustomerSave) -> CustomerSaveResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    match issue_key(&mut state, now, &text(&input.customer_uid), &args) {
        Ok(c) => answer!(CustomerSaveResponse::Ok, ok(render_customer(&c))),
        Err(message) => answer!(CustomerSaveResponse::Ok, refused(&message)),
    }
}

pub(crate) fn view(s: &Inner, input: inputs::CustomerView) -> CustomerViewResponse {
    let state = s.state();
    match state.customers.get(&text(&input.customer_uid)) {
        Some(c) => answer!(CustomerViewResponse::Ok, ok(render_customer(c))),
        None => answer!(CustomerViewResponse::NotFound, error(NO_CUSTOMER)),
    }
}

pub(crate) fn view_multiple(
    s: &Inner,
    input: inputs::CustomerViewMultiple,
) -> CustomerViewMultipleResponse {
    let state = s.state();
    let found: Vec<Value> = input
        .customer_uid
        .iter()
        .filter_map(|uid| state.customers.get(uid))
        .map(render_customer)
        .collect();
    match (found.len(), input.customer_uid.len()) {
        (0, _) => answer!(CustomerViewMultipleResponse::NotFound, error(NO_CUSTOMER)),
        (n, all) if n == all => answer!(CustomerViewMultipleResponse::Ok, ok(json!(found))),
        _ => answer!(CustomerViewMultipleResponse::MultiStatus, ok(json!(found))),
    }
}

pub(crate) fn delete(s: &Inner, input: inputs::CustomerDelete) -> CustomerDeleteResponse {
    let now = s.now();
    let mut state = s.state();
    let uid = text(&input.customer_uid);
    let Some(customer) = state.customers.remove(&uid) else {
        return answer!(CustomerDeleteResponse::NotFound, error(NO_CUSTOMER));
    };
    for schedule in state.schedules.values_mut() {
        if schedule.customer_uid == uid && schedule.schedule_status == SCHEDULED {
            schedule.schedule_status = REVOKED.into();
            schedule.revoked_at = now;
        }
    }
    answer!(CustomerDeleteResponse::Ok, ok(render_customer(&customer)))
}

pub(crate) fn payments(s: &Inner, input: inputs::CustomerPayments) -> CustomerPaymentsResponse {
    let state = s.state();
    let uid = text(&input.customer_uid);
    if !state.customers.contains_key(&uid) {
        return answer!(CustomerPaymentsResponse::NotFound, error(NO_CUSTOMER));
    }
    let mut list: Vec<&Payment> = state
        .payments
        .values()
        .filter(|p| p.customer_uid.as_deref() == Some(uid.as_str()))
        .collect();
    list.sort_by_key(|p| std::cmp::Reverse((p.started_at, p.imp_uid.clone())));
    answer!(
        CustomerPaymentsResponse::Ok,
        ok(paged(&list, input.page, DEFAULT_LIMIT))
    )
}

pub(crate) fn onetime(s: &Arc<Inner>, input: inputs::Onetime) -> OnetimeResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let saved = args.str("customer_uid");
    let customer = match &saved {
        Some(uid) => issue_key(&mut state, now, uid, &args),
        None => card_key(now, "onetime", &args),
    };
    let customer = match customer {
        Ok(c) => c,
        Err(message) => return answer!(OnetimeResponse::Ok, refused(&message)),
    };
    let made = pay(&mut state, now, &customer, &args, "payment").map(|mut p| {
        if saved.is_none() {
            // a card typed in once: no billing key to name
            p.customer_uid = None;
            p.customer_uid_usage = None;
            state.payments.insert(p.imp_uid.clone(), p.clone());
        }
        p
    });
    drop(state);
    match made {
        Ok(p) => {
            s.notify(vec![Notice::of(&p)]);
            answer!(OnetimeResponse::Ok, ok(render(&p)))
        }
        Err(message) => answer!(OnetimeResponse::Ok, refused(&message)),
    }
}

pub(crate) fn again(s: &Arc<Inner>, input: inputs::Again) -> AgainResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let Some(customer) = state
        .customers
        .get(&args.str("customer_uid").unwrap_or_default())
        .cloned()
    else {
        return answer!(AgainResponse::Ok, refused(UNKNOWN_BUYER));
    };
    let made = pay(&mut state, now, &customer, &args, "payment");
    drop(state);
    match made {
        Ok(p) => {
            s.notify(vec![Notice::of(&p)]);
            answer!(AgainResponse::Ok, ok(render(&p)))
        }
        Err(message) => answer!(AgainResponse::Ok, refused(&message)),
    }
}

// --- schedules ---------------------------------------------------------------------------------

fn rendered(state: &State, list: &[&Schedule]) -> Value {
    json!(
        list.iter()
            .map(|s| render_schedule(s, state.customers.get(&s.customer_uid)))
            .collect::<Vec<_>>()
    )
}

pub(crate) fn schedule(s: &Arc<Inner>, input: inputs::Schedule) -> ScheduleResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let customer_uid = args.str("customer_uid").unwrap_or_default();
    if !state.customers.contains_key(&customer_uid) {
        if args.str("card_number").is_none() {
            return answer!(ScheduleResponse::Ok, refused(UNKNOWN_BUYER));
        }
        if let Err(message) = issue_key(&mut state, now, &customer_uid, &args) {
            return answer!(ScheduleResponse::Ok, refused(&message));
        }
    }
    let entries: Vec<Args> = match args.value("schedules") {
        Some(Value::Array(items)) => items.iter().map(|v| Args(v.clone())).collect(),
        _ => vec![],
    };
    if entries.is_empty() {
        return answer!(
            ScheduleResponse::BadRequest,
            error("schedules에 결제예약이 하나 이상 있어야 합니다.")
        );
    }
    let mut made: Vec<Schedule> = vec![];
    for e in &entries {
        let merchant_uid = e.str("merchant_uid").unwrap_or_default();
        let taken = state
            .schedules
            .get(&merchant_uid)
            .is_some_and(|s| s.schedule_status != REVOKED)
            || state
                .by_merchant_uid(&merchant_uid)
                .iter()
                .any(|p| p.status == PAID)
            || made.iter().any(|m| m.merchant_uid == merchant_uid);
        if taken {
            return answer!(
                ScheduleResponse::Ok,
                refused(&format!(
                    "이미 예약되었거나 결제된 merchant_uid입니다. ({merchant_uid})"
                ))
            );
        }
        let amount = e.f64("amount").unwrap_or_default();
        if let Err(message) = check_merchant_uid(&merchant_uid).and(check_amount(amount)) {
            return answer!(ScheduleResponse::Ok, refused(&message));
        }
        let schedule_at = e.i64("schedule_at").unwrap_or_default();
        if schedule_at <= now {
            return answer!(
                ScheduleResponse::Ok,
                refused(&format!(
                    "결제예약 시각은 현재 시각 이후여야 합니다. ({merchant_uid}: {schedule_at})"
                ))
            );
        }
        made.push(Schedule {
            customer_uid: customer_uid.clone(),
            merchant_uid,
            imp_uid: None,
            schedule_at,
            executed_at: 0,
            revoked_at: 0,
            amount,
            currency: e.str("currency").unwrap_or_else(|| "KRW".into()),
            name: e.str("name").unwrap_or_default(),
            buyer_name: e.str("buyer_name"),
            buyer_email: e.str("buyer_email"),
            buyer_tel: e.str("buyer_tel"),
            custom_data: e.str("custom_data"),
            schedule_status: SCHEDULED.into(),
            payment_status: None,
            fail_reason: None,
            notice_url: e.str("notice_url"),
        });
    }
    for m in &made {
        state.schedules.insert(m.merchant_uid.clone(), m.clone());
    }
    let refs: Vec<&Schedule> = made.iter().collect();
    let shown = rendered(&state, &refs);
    drop(state);
    s.wake();
    answer!(ScheduleResponse::Ok, ok(shown))
}

pub(crate) fn unschedule(s: &Inner, input: inputs::Unschedule) -> UnscheduleResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let customer_uid = args.str("customer_uid");
    let wanted = args.strs("merchant_uid");
    if customer_uid.is_none() && wanted.is_empty() {
        return answer!(
            UnscheduleResponse::Ok,
            refused("customer_uid 또는 merchant_uid 중 하나는 필수입니다.")
        );
    }
    let mut revoked = vec![];
    for schedule in state.schedules.values_mut() {
        let mine = customer_uid
            .as_deref()
            .is_none_or(|uid| schedule.customer_uid == uid);
        let named = wanted.is_empty() || wanted.contains(&schedule.merchant_uid);
        if mine && named && schedule.schedule_status == SCHEDULED {
            schedule.schedule_status = REVOKED.into();
            schedule.revoked_at = now;
            revoked.push(schedule.clone());
        }
    }
    if revoked.is_empty() {
        return answer!(
            UnscheduleResponse::Ok,
            refused("취소할 예약결제 기록이 존재하지 않습니다.")
        );
    }
    let refs: Vec<&Schedule> = revoked.iter().collect();
    answer!(UnscheduleResponse::Ok, ok(rendered(&state, &refs)))
}

pub(crate) fn get_by_mid(s: &Inner, input: inputs::GetScheduleByMid) -> GetScheduleByMidResponse {
    let state = s.state();
    match state.schedules.get(&text(&input.merchant_uid)) {
        Some(sc) => answer!(
            GetScheduleByMidResponse::Ok,
            ok(render_schedule(sc, state.customers.get(&sc.customer_uid)))
        ),
        None => answer!(GetScheduleByMidResponse::NotFound, error(NO_SCHEDULE)),
    }
}

/// The schedules in `[from, to]` (by `schedule_at`), optionally of one customer and status, in
/// time order, one page of them.
fn listed(
    state: &State,
    customer_uid: Option<&str>,
    from: i64,
    to: i64,
    status: Option<String>,
    page_no: Option<i64>,
    limit: u64,
) -> Value {
    let mut list: Vec<&Schedule> = state
        .schedules
        .values()
        .filter(|s| customer_uid.is_none_or(|uid| s.customer_uid == uid))
        .filter(|s| (from..=to).contains(&s.schedule_at))
        .filter(|s| status.as_deref().is_none_or(|st| s.schedule_status == st))
        .collect();
    list.sort_by_key(|s| (s.schedule_at, s.merchant_uid.clone()));
    let (_, _, _, items) = page(&list, page_no, limit);
    rendered(state, &items)
}

pub(crate) fn find_by_range(
    s: &Inner,
    input: inputs::FindSchedulesByRange,
) -> FindSchedulesByRangeResponse {
    let state = s.state();
    let v = listed(
        &state,
        None,
        input.schedule_from,
        input.schedule_to,
        input.schedule_status.map(|s| text(&s)),
        input.page,
        input.limit.map_or(DEFAULT_LIMIT, |l| l.get()),
    );
    answer!(FindSchedulesByRangeResponse::Ok, ok(v))
}

/// One customer's schedules in `[from, to]`: `findSchedulesByCustomer` and `customer_schedules`
/// are two paths to the same listing.
fn of_customer(
    s: &Inner,
    customer_uid: &str,
    from: i64,
    to: i64,
    status: Option<String>,
    page_no: Option<i64>,
) -> Value {
    let state = s.state();
    listed(
        &state,
        Some(customer_uid),
        from,
        to,
        status,
        page_no,
        DEFAULT_LIMIT,
    )
}

pub(crate) fn find_by_customer(
    s: &Inner,
    input: inputs::FindSchedulesByCustomer,
) -> FindSchedulesByCustomerResponse {
    let v = of_customer(
        s,
        &text(&input.customer_uid),
        input.from,
        input.to,
        input.schedule_status.map(|s| text(&s)),
        input.page,
    );
    answer!(FindSchedulesByCustomerResponse::Ok, ok(v))
}

pub(crate) fn customer_schedules(
    s: &Inner,
    input: inputs::CustomerSchedules,
) -> CustomerSchedulesResponse {
    let v = of_customer(
        s,
        &text(&input.customer_uid),
        input.from,
        input.to,
        input.schedule_status.map(|s| text(&s)),
        input.page,
    );
    answer!(CustomerSchedulesResponse::Ok, ok(v))
}

pub(crate) fn update(
    s: &Arc<Inner>,
    input: inputs::UpdateScheduleByMid,
) -> UpdateScheduleByMidResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let State {
        schedules,
        customers,
        ..
    } = &mut *state;
    let Some(sc) = schedules.get_mut(&text(&input.merchant_uid)) else {
        return answer!(UpdateScheduleByMidResponse::NotFound, error(NO_SCHEDULE));
    };
    if sc.schedule_status != SCHEDULED {
        return answer!(
            UpdateScheduleByMidResponse::Ok,
            refused("예약 대기 중인 결제예약만 변경할 수 있습니다.")
        );
    }
    let at = args.i64("schedule_at").unwrap_or_default();
    if at <= now {
        return answer!(
            UpdateScheduleByMidResponse::Ok,
            refused("결제예약 시각은 현재 시각 이후여야 합니다.")
        );
    }
    sc.schedule_at = at;
    let shown = render_schedule(sc, customers.get(&sc.customer_uid));
    drop(state);
    s.wake();
    answer!(UpdateScheduleByMidResponse::Ok, ok(shown))
}

pub(crate) fn reschedule(
    s: &Arc<Inner>,
    input: inputs::RescheduleByMid,
) -> RescheduleByMidResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let State {
        schedules,
        customers,
        ..
    } = &mut *state;
    let Some(sc) = schedules.get_mut(&text(&input.merchant_uid)) else {
        return answer!(RescheduleByMidResponse::NotFound, error(NO_SCHEDULE));
    };
    if sc.payment_status.as_deref() != Some(FAILED) {
        return answer!(
            RescheduleByMidResponse::Ok,
            refused("결제에 실패한 결제예약만 다시 예약할 수 있습니다.")
        );
    }
    let at = args.i64("schedule_at").unwrap_or_default();
    if at <= now {
        return answer!(
            RescheduleByMidResponse::Ok,
            refused("결제예약 시각은 현재 시각 이후여야 합니다.")
        );
    }
    sc.schedule_at = at;
    sc.schedule_status = SCHEDULED.into();
    sc.payment_status = None;
    sc.fail_reason = None;
    sc.executed_at = 0;
    let shown = render_schedule(sc, customers.get(&sc.customer_uid));
    drop(state);
    s.wake();
    answer!(RescheduleByMidResponse::Ok, ok(shown))
}

pub(crate) fn retry(
    s: &Arc<Inner>,
    input: inputs::RetryScheduleByMid,
) -> RetryScheduleByMidResponse {
    let now = s.now();
    let mut state = s.state();
    let merchant_uid = text(&input.merchant_uid);
    let Some(sc) = state.schedules.get(&merchant_uid).cloned() else {
        return answer!(
            RetryScheduleByMidResponse::NotFound,
            error("존재하지 않는 결제예약 또는 빌링키입니다.")
        );
    };
    if sc.payment_status.as_deref() != Some(FAILED) {
        return answer!(
            RetryScheduleByMidResponse::Ok,
            refused("결제에 실패한 결제예약만 다시 시도할 수 있습니다.")
        );
    }
    let executed = execute(&mut state, now, &sc); // a retry runs now
    drop(state);
    match executed {
        Ok((payment, notice)) => {
            s.notify(vec![notice]);
            answer!(RetryScheduleByMidResponse::Ok, ok(render(&payment)))
        }
        Err(message) => answer!(RetryScheduleByMidResponse::Ok, refused(&message)),
    }
}

/// Pays a schedule with its billing key at time `now` and records the result on it (a payment
/// refused before it was made, e.g. its key is gone, is recorded as `failed` with the reason).
fn execute(state: &mut State, now: i64, sc: &Schedule) -> Result<(Payment, Notice), String> {
    let made = match state.customers.get(&sc.customer_uid).cloned() {
        Some(customer) => {
            let args = Args(json!({
                "merchant_uid": sc.merchant_uid,
                "amount": sc.amount,
                "currency": sc.currency,
                "name": sc.name,
                "buyer_name": sc.buyer_name,
                "buyer_email": sc.buyer_email,
                "buyer_tel": sc.buyer_tel,
                "custom_data": sc.custom_data,
                "notice_url": sc.notice_url,
            }));
            pay(state, now, &customer, &args, "payment.scheduled")
        }
        None => Err(UNKNOWN_BUYER.to_owned()),
    };
    if let Some(entry) = state.schedules.get_mut(&sc.merchant_uid) {
        entry.schedule_status = EXECUTED.into();
        entry.executed_at = now;
        match &made {
            Ok(p) => {
                entry.imp_uid = Some(p.imp_uid.clone());
                entry.payment_status = Some(p.status.clone());
                entry.fail_reason = p.fail_reason.clone();
            }
            Err(message) => {
                entry.payment_status = Some(FAILED.into());
                entry.fail_reason = Some(message.clone());
            }
        }
    }
    made.map(|p| {
        let notice = Notice::of(&p);
        (p, notice)
    })
}

/// Runs every schedule whose time the sandbox's clock has reached; the webhooks to send.
pub(crate) fn run_due_schedules(s: &Inner) -> Vec<Notice> {
    let now = s.now();
    let mut state = s.state();
    let mut due: Vec<Schedule> = state
        .schedules
        .values()
        .filter(|sc| sc.schedule_status == SCHEDULED && sc.schedule_at <= now)
        .cloned()
        .collect();
    // in time order, each at its own time, however far the clock moved past it
    due.sort_by_key(|sc| (sc.schedule_at, sc.merchant_uid.clone()));
    due.iter()
        .filter_map(|sc| execute(&mut state, sc.schedule_at, sc).ok())
        .map(|(_, notice)| notice)
        .collect()
}
