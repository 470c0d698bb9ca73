//! A virtual-account payment against an in-process sandbox: the account is issued (webhook
//! `ready`), the buyer deposits (the control API plays the bank; webhook `paid`), and the merchant's
//! webhook endpoint sees both.
//!
//! ```sh
//! cargo run --example vbank
//! ```

#[path = "merchant.rs"]
mod merchant;

use std::time::Duration;

use iamport_sandbox::{Checkout, Deposit, Sandbox};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    println!("sandbox at {}", sandbox.base_url);
    let (notice_url, mut verified) = merchant::start(sandbox.client.clone()).await;
    // Every payment's webhooks go to the merchant (as set in PortOne's console).
    sandbox.control.set_notice_url(Some(notice_url));

    // The buyer picks a virtual account at checkout: it is issued, due in three days.
    let issued = sandbox
        .control
        .checkout(Checkout::vbank("order-2026-0002", 50_000.0).name("원목 책상"))
        .await?;
    println!(
        "issued: {} {} ({}), due {}",
        issued.vbank_name.as_deref().map_or("", |v| v),
        issued.vbank_num.as_deref().map_or("", |v| v),
        issued.status,
        issued.vbank_date.unwrap_or_default()
    );
    let ready = next(&mut verified).await?;
    assert_eq!(ready.status, "ready");

    // A day later (on the sandbox's clock), the buyer deposits the amount.
    sandbox
        .control
        .advance(Duration::from_secs(24 * 3600))
        .await?;
    let paid = sandbox
        .control
        .deposit(&issued.imp_uid, Deposit::default())
        .await?;
    println!("deposited: {} is {}", *paid.imp_uid, paid.status);
    let from_webhook = next(&mut verified).await?;
    assert_eq!(from_webhook.status, "paid");

    // Every webhook the sandbox sent, and what became of it.
    for d in sandbox.control.webhooks() {
        println!(
            "webhook #{} {} → {:?} after {} attempt(s)",
            d.id,
            d.body,
            d.state,
            d.attempts.len()
        );
    }
    Ok(())
}

/// The next payment the merchant's webhook endpoint verified.
async fn next(
    verified: &mut tokio::sync::mpsc::UnboundedReceiver<iamport_client::types::PaymentAnnotation>,
) -> Result<iamport_client::types::PaymentAnnotation, Box<dyn std::error::Error>> {
    Ok(
        tokio::time::timeout(Duration::from_secs(10), verified.recv())
            .await?
            .ok_or("the merchant server stopped")?,
    )
}
