//! Checking a payment against what you expect, by looking it up (`getPaymentByImpUid`): after the
//! checkout ([`IamportClient::verify_payment`]) and on a webhook
//! ([`IamportClient::verify_webhook`]).
//!
//! What the browser or a notice says is never proof: the amount a buyer's browser reports can be
//! forged, and V1 webhooks are not signed. The looked-up payment is.
//!
//! ```no_run
//! use iamport_client::{IamportClient, VerifyError};
//!
//! # async fn run(client: IamportClient) {
//! // The order is for 15 000 won; the browser says it paid with imp_uid "imp_448280090638".
//! match client.verify_payment("imp_448280090638", 15_000).await {
//!     Ok(payment) => println!("paid: {}", *payment.merchant_uid),
//!     Err(VerifyError::AmountMismatch { expected, actual, .. }) => {
//!         eprintln!("forged? {actual} paid for an order of {expected}: cancel it")
//!     }
//!     Err(VerifyError::NotPaid { status, .. }) => eprintln!("not paid: {status}"),
//!     Err(e) => eprintln!("could not verify: {e}"),
//! }
//! # }
//! ```

use std::fmt;

use crate::client::IamportClient;
use crate::error::Error;
use crate::types::PaymentAnnotation;
use crate::webhook::Webhook;

/// Why a payment did not pass [`IamportClient::verify_payment`] or
/// [`IamportClient::verify_webhook`]. Each variant but `Lookup` keeps the looked-up payment.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The payment could not be looked up (unknown `imp_uid`, network, credentials...).
    #[error("could not look the payment up: {0}")]
    Lookup(#[source] Error),

    /// The payment's status is not `paid` (`ready`, `cancelled`, `failed`, ...).
    #[error("payment {imp_uid} is {status:?}, not \"paid\"")]
    NotPaid {
        imp_uid: String,
        status: String,
        payment: Box<PaymentAnnotation>,
    },

    /// The payment's amount is not the one expected.
    #[error(
        "payment {imp_uid} is for {}, not the {} expected",
        Amount(*.actual),
        Amount(*.expected)
    )]
    AmountMismatch {
        imp_uid: String,
        expected: f64,
        actual: f64,
        payment: Box<PaymentAnnotation>,
    },

    /// A webhook's `merchant_uid` is not the looked-up payment's.
    #[error(
        "the webhook for payment {imp_uid} names merchant_uid {notified:?}, but the payment's is {actual:?}"
    )]
    MerchantUidMismatch {
        imp_uid: String,
        notified: String,
        actual: String,
        payment: Box<PaymentAnnotation>,
    },

    /// A webhook's `status` is not the looked-up payment's: a forged notice, or one the payment
    /// has moved on from since (the looked-up `payment` is the current state either way).
    #[error(
        "the webhook for payment {imp_uid} says status {notified:?}, but the payment is {actual:?}"
    )]
    StatusMismatch {
        imp_uid: String,
        notified: String,
        actual: String,
        payment: Box<PaymentAnnotation>,
    },
}

impl VerifyError {
    /// The looked-up payment, when the lookup succeeded (every variant but `Lookup`).
    pub fn payment(&self) -> Option<&PaymentAnnotation> {
        match self {
            VerifyError::Lookup(_) => None,
            VerifyError::NotPaid { payment, .. }
            | VerifyError::AmountMismatch { payment, .. }
            | VerifyError::MerchantUidMismatch { payment, .. }
            | VerifyError::StatusMismatch { payment, .. } => Some(payment),
        }
    }
}

/// An amount as the API gives it: whole amounts (won) without a fraction.
struct Amount(f64);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match whole(self.0) {
            Some(whole) => write!(f, "{whole}"),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `value` as an integer when it is one (and fits).
fn whole(value: f64) -> Option<i64> {
    // 2^63 is exact as an f64; every whole f64 in [-2^63, 2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (value.is_finite() && value.fract() == 0.0 && (-LIMIT..LIMIT).contains(&value))
        .then_some(value as i64)
}

/// Whether two amounts are the same: as integers when both are whole, else exactly.
fn same_amount(expected: f64, actual: f64) -> bool {
    match (whole(expected), whole(actual)) {
        (Some(expected), Some(actual)) => expected == actual,
        _ => expected == actual,
    }
}

const PAID: &str = "paid";

impl IamportClient {
    /// Looks the payment up by `imp_uid` and checks that it is `paid` and for `expected_amount`
    /// (compared as whole won when both amounts are whole, else exactly; `expected_amount` is any
    /// `Into<f64>`, such as `u32`, `i32` or `f64`: an `i64` needs `as f64`). Do this after the
    /// checkout, before you ship: the amount the buyer's browser reports can be forged.
    ///
    /// Returns the looked-up payment, or a [`VerifyError`] saying which check failed and the
    /// values seen. See the [module docs](crate::verify).
    pub async fn verify_payment(
        &self,
        imp_uid: &str,
        expected_amount: impl Into<f64>,
    ) -> Result<PaymentAnnotation, VerifyError> {
        let expected = expected_amount.into();
        let payment = self
            .get_payment_by_imp_uid(imp_uid)
            .await
            .map_err(VerifyError::Lookup)?;
        if payment.status != PAID {
            return Err(VerifyError::NotPaid {
                imp_uid: payment.imp_uid.as_str().to_owned(),
                status: payment.status.clone(),
                payment: Box::new(payment),
            });
        }
        if !same_amount(expected, payment.amount) {
            return Err(VerifyError::AmountMismatch {
                imp_uid: payment.imp_uid.as_str().to_owned(),
                expected,
                actual: payment.amount,
                payment: Box::new(payment),
            });
        }
        Ok(payment)
    }

    /// Looks up the payment a webhook is about (by its `imp_uid`) and checks that its
    /// `merchant_uid` and `status` are the ones the notice gives. V1 webhooks are not signed, so
    /// this lookup is what PortOne's guide says to trust; a forged notice is refused. Act on the
    /// returned payment, not on the notice (check its amount against your order, too).
    pub async fn verify_webhook(
        &self,
        webhook: &Webhook,
    ) -> Result<PaymentAnnotation, VerifyError> {
        let payment = self
            .get_payment_by_imp_uid(webhook.imp_uid.as_str())
            .await
            .map_err(VerifyError::Lookup)?;
        if *payment.merchant_uid != webhook.merchant_uid {
            return Err(VerifyError::MerchantUidMismatch {
                imp_uid: webhook.imp_uid.clone(),
                notified: webhook.merchant_uid.clone(),
                actual: payment.merchant_uid.as_str().to_owned(),
                payment: Box::new(payment),
            });
        }
        if payment.status != webhook.status {
            return Err(VerifyError::StatusMismatch {
                imp_uid: webhook.imp_uid.clone(),
                notified: webhook.status.clone(),
                actual: payment.status.clone(),
                payment: Box::new(payment),
            });
        }
        Ok(payment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_compare_as_won_when_whole() {
        assert!(same_amount(1000.0, 1000.0));
        assert!(!same_amount(1000.0, 1001.0));
        assert!(!same_amount(1000.0, 1000.5));
        assert!(same_amount(10.25, 10.25));
        assert!(!same_amount(10.25, 10.26));
        assert!(!same_amount(f64::NAN, f64::NAN));
        assert!(!same_amount(f64::INFINITY, 1e300));
        assert_eq!(Amount(15000.0).to_string(), "15000");
        assert_eq!(Amount(0.5).to_string(), "0.5");
        assert_eq!(whole(-0.0), Some(0));
        assert_eq!(whole(9.3e18), None);
    }
}
