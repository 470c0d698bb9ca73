//! A card checkout, end to end, against an in-process sandbox:
//! prepare → pay (the control API plays the buyer's browser and the PG) → webhook received by a
//! small merchant server → verify → partial cancel.
//!
//! ```sh
//! cargo run --example checkout
//! ```

#[path = "merchant.rs"]
mod merchant;

use std::time::Duration;

use iamport_client::types::{CancelPaymentRequest, PreparePaymentRequest};
use iamport_sandbox::{Checkout, Sandbox};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A sandbox on a free port, with a client that has its credentials.
    let sandbox = Sandbox::start().await?;
    println!("sandbox at {}", sandbox.base_url);
    let client = sandbox.client.clone();

    // The merchant's webhook endpoint, with its own client.
    let (notice_url, mut verified) = merchant::start(client.clone()).await;

    // 1. Before the checkout, the merchant registers the amount it expects for the order.
    let order = "order-2026-0001";
    let prepared = client
        .prepare_payment(
            PreparePaymentRequest::builder()
                .merchant_uid(order)
                .amount(15_000.0),
        )
        .await?;
    println!(
        "prepared {order}: {} KRW",
        prepared.amount.unwrap_or_default()
    );

    // 2. The buyer pays in the browser: here, the sandbox's control API.
    let paid = sandbox
        .control
        .checkout(
            Checkout::card(order, 15_000.0)
                .name("노르웨이 회전 의자")
                .notice_url(&notice_url),
        )
        .await?;
    println!("checkout: {} is {}", *paid.imp_uid, paid.status);

    // 3. The webhook reached the merchant, which looked the payment up and saw it paid.
    let from_webhook = tokio::time::timeout(Duration::from_secs(10), verified.recv())
        .await?
        .ok_or("the merchant server stopped")?;
    assert_eq!(from_webhook.status, "paid");

    // 4. Before shipping: paid, and for the amount of the order?
    let payment = client.verify_payment(&paid.imp_uid, 15_000).await?;
    println!("verified: {} KRW paid", payment.amount);

    // 5. One item comes back: cancel part of the payment.
    let cancelled = client
        .cancel_payment()
        .body(
            CancelPaymentRequest::builder()
                .imp_uid(Some(payment.imp_uid.to_string()))
                .amount(Some(5_000.0))
                .checksum(Some(15_000.0))
                .reason(Some("부분 반품 (one item returned)".to_owned())),
        )
        .await?;
    println!(
        "partly cancelled: {} of {} KRW cancelled, status {}, {} cancellation(s)",
        cancelled.cancel_amount,
        cancelled.amount,
        cancelled.status,
        cancelled.cancel_history.as_ref().map_or(0, Vec::len)
    );
    assert_eq!(cancelled.cancel_amount, 5_000.0);
    assert_eq!(cancelled.status, "paid");
    Ok(())
}
