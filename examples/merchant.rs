//! A merchant's webhook endpoint, as small as it gets: PortOne (here, the sandbox) POSTs a notice
//! when a payment changes; the merchant parses it, looks the payment up with its own credentials
//! (`verify_webhook`) and acts on what the API says, never on the notice alone.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use iamport_client::types::PaymentAnnotation;
use iamport_client::{IamportClient, Webhook};
use tokio::sync::mpsc;

/// Serves `POST /portone-webhook` on a free port; every verified payment goes to the receiver.
pub async fn start(client: IamportClient) -> (String, mpsc::UnboundedReceiver<PaymentAnnotation>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = Arc::new(client);
    let app = axum::Router::new().route(
        "/portone-webhook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let client = client.clone();
            let tx = tx.clone();
            async move {
                let content_type = headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                let webhook = match Webhook::parse(content_type, &body) {
                    Ok(webhook) => webhook,
                    Err(e) => {
                        eprintln!("merchant: refused a webhook: {e}");
                        return StatusCode::BAD_REQUEST;
                    }
                };
                match client.verify_webhook(&webhook).await {
                    Ok(payment) => {
                        println!(
                            "merchant: webhook for {} ({}): the API says {}",
                            *payment.merchant_uid, *payment.imp_uid, payment.status
                        );
                        let _ = tx.send(payment);
                        StatusCode::OK
                    }
                    Err(e) => {
                        eprintln!("merchant: webhook not verified: {e}");
                        StatusCode::BAD_REQUEST
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!(
        "http://{}/portone-webhook",
        listener.local_addr().expect("bound")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}
