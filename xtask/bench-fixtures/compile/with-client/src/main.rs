//! Gets a token, then the Naver Pay cash amount of one payment, with `IamportClient`.

use iamport_client::IamportClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("IAMPORT_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let client = IamportClient::builder("1234567890123456", "imp_secret")
        .base_url(base_url)
        .build()?;
    let amount = client.query_cash_amount("imp_448280090638").await?;
    println!(
        "{} won issuable ({} by Npoint)",
        amount.amount_total, amount.amount_by_npoint
    );
    Ok(())
}
