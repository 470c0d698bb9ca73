//! Identity verifications by SMS OTP: requested, confirmed with the code (in the sandbox always
//! [`SANDBOX_OTP`]), looked up and deleted.

use iamport_server::{
    ConfirmOtpResponse, DeleteCertificationResponse, GetCertificationResponse, RequestOtpResponse,
    inputs,
};
use serde_json::json;

use super::{Args, answer, error, ok, refused, text, to_json};
use crate::Inner;
use crate::store::Certification;

/// The code every OTP the sandbox "sends" has.
pub const SANDBOX_OTP: &str = "123456";
const NO_CERTIFICATION: &str = "존재하지 않는 본인인증 정보입니다.";
const NO_REQUEST: &str = "존재하지 않는 본인인증 요청입니다.";

pub(crate) fn request(s: &Inner, input: inputs::RequestOtp) -> RequestOtpResponse {
    let args = Args::of(&input.body);
    let mut state = s.state();
    let imp_uid = state.next_id("imp_");
    let birth = args.str("birth").unwrap_or_default();
    let gender_digit = args.str("gender_digit").unwrap_or_default();
    let birthday = match birth.chars().collect::<Vec<_>>() {
        digits if digits.len() == 8 && digits.iter().all(char::is_ascii_digit) => {
            let part = |r: std::ops::Range<usize>| digits[r].iter().collect::<String>();
            format!("{}-{}-{}", part(0..4), part(4..6), part(6..8))
        }
        _ => birth,
    };
    state.certifications.insert(
        imp_uid.clone(),
        Certification {
            imp_uid: imp_uid.clone(),
            merchant_uid: args.str("merchant_uid"),
            pg_tid: format!("sandbox_cert_{}", &imp_uid[4..]),
            pg_provider: "danal".into(),
            name: args.str("name").unwrap_or_default(),
            gender: if ["1", "3", "5", "7"].contains(&gender_digit.as_str()) {
                "male".into()
            } else {
                "female".into()
            },
            birthday,
            foreigner: ["5", "6", "7", "8"].contains(&gender_digit.as_str()),
            phone: args.str("phone").unwrap_or_default(),
            carrier: args.str("carrier").unwrap_or_default(),
            certified: false,
            certified_at: 0,
            unique_key: String::new(),
            unique_in_site: String::new(),
            origin: "sandbox".into(),
            otp: Some(SANDBOX_OTP.into()),
        },
    );
    answer!(RequestOtpResponse::Ok, ok(json!({ "imp_uid": imp_uid })))
}

pub(crate) fn confirm(s: &Inner, input: inputs::ConfirmOtp) -> ConfirmOtpResponse {
    let args = Args::of(&input.body);
    let now = s.now();
    let mut state = s.state();
    let Some(c) = state.certifications.get_mut(&text(&input.imp_uid)) else {
        return answer!(ConfirmOtpResponse::NotFound, error(NO_REQUEST));
    };
    if c.certified {
        return answer!(
            ConfirmOtpResponse::Ok,
            refused("이미 인증이 완료된 본인인증 요청입니다.")
        );
    }
    if args.str("otp").as_deref() != c.otp.as_deref() {
        return answer!(
            ConfirmOtpResponse::Ok,
            refused("인증번호(OTP)가 일치하지 않습니다.")
        );
    }
    c.certified = true;
    c.certified_at = now;
    c.otp = None;
    c.unique_key = format!("sandbox-ci-{}", c.phone);
    c.unique_in_site = format!("sandbox-di-{}", c.phone);
    answer!(ConfirmOtpResponse::Ok, ok(to_json(c)))
}

pub(crate) fn get(s: &Inner, input: inputs::GetCertification) -> GetCertificationResponse {
    let state = s.state();
    match state.certifications.get(&text(&input.imp_uid)) {
        Some(c) => answer!(GetCertificationResponse::Ok, ok(to_json(c))),
        None => answer!(GetCertificationResponse::NotFound, error(NO_CERTIFICATION)),
    }
}

pub(crate) fn delete(s: &Inner, input: inputs::DeleteCertification) -> DeleteCertificationResponse {
    let mut state = s.state();
    match state.certifications.remove(&text(&input.imp_uid)) {
        Some(c) => answer!(DeleteCertificationResponse::Ok, ok(to_json(&c))),
        None => answer!(
            DeleteCertificationResponse::NotFound,
            error(NO_CERTIFICATION)
        ),
    }
}
