//! Gets a token, then the Naver Pay cash amount of one payment, with reqwest + serde: the same
//! program as `with-client`, written by hand.

use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct TokenRequest<'a> {
    imp_key: &'a str,
    imp_secret: &'a str,
}

/// PortOne's envelope: `code` 0 and a `response`, or a non-zero `code` and a `message`.
#[derive(Deserialize)]
struct Envelope<T> {
    code: i64,
    message: Option<String>,
    response: Option<T>,
}

#[derive(Deserialize)]
struct AccessToken {
    access_token: String,
}

#[derive(Deserialize)]
struct CashAmount {
    amount_total: i64,
    amount_by_npoint: i64,
}

async fn payload<T: for<'de> Deserialize<'de>>(
    request: reqwest::RequestBuilder,
) -> Result<T, Box<dyn std::error::Error>> {
    let response = request.send().await?;
    let status = response.status();
    let envelope: Envelope<T> = response.json().await?;
    match envelope.response {
        Some(payload) if envelope.code == 0 => Ok(payload),
        _ => Err(format!(
            "HTTP {status}, code {}: {}",
            envelope.code,
            envelope.message.unwrap_or_default()
        )
        .into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("IAMPORT_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let http = reqwest::Client::new();
    let token: AccessToken = payload(http.post(format!("{base_url}/users/getToken")).json(
        &TokenRequest {
            imp_key: "1234567890123456",
            imp_secret: "imp_secret",
        },
    ))
    .await?;
    let amount: CashAmount = payload(
        http.get(format!(
            "{base_url}/payments/imp_448280090638/naver/cash-amount"
        ))
        .bearer_auth(&token.access_token),
    )
    .await?;
    println!(
        "{} won issuable ({} by Npoint)",
        amount.amount_total, amount.amount_by_npoint
    );
    Ok(())
}
