//! `iamport-sandbox`: serves the PortOne V1 API locally from a fixture set.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use iamport_sandbox::{Fixtures, NaverAnswer, Sandbox, SystemClock};

/// A local sandbox of the PortOne V1 (iamport) REST API.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Fixture file (YAML) to serve instead of the built-in set.
    #[arg(long)]
    fixtures: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let fixtures = match &args.fixtures {
        Some(path) => match Fixtures::load(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: fixture file refused: {e}");
                return ExitCode::from(2);
            }
        },
        None => Fixtures::default_set(),
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::from(1);
        }
    };
    // Listen for the signals before saying we are up, so a Ctrl-C right after is never lost.
    let shutdown = match stop_signal() {
        Ok(signal) => signal,
        Err(e) => {
            eprintln!("error: cannot listen for Ctrl-C: {e}");
            return ExitCode::from(1);
        }
    };
    print_welcome(&args, &fixtures);
    let app = iamport_sandbox::app(Sandbox::new(&fixtures, SystemClock));
    match iamport_sandbox::serve(listener, app, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: server stopped: {e}");
            ExitCode::from(1)
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM; the handlers are installed when this returns.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping: finishing requests in flight");
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping: finishing requests in flight");
    })
}

/// The welcome text goes out in one write whose failure is ignored: a closed stdout (`| head -1`) must
/// not take the server down, as `println!` would.
fn print_welcome(args: &Args, fixtures: &Fixtures) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut out = String::new();
    let base = format!("http://{}", args.addr);
    let source = args
        .fixtures
        .as_ref()
        .map_or("built-in fixtures".to_owned(), |p| p.display().to_string());
    let _ = writeln!(
        out,
        "iamport sandbox on {base} ({source}); OpenAPI document at {base}/openapi.json"
    );
    let _ = writeln!(out, "credentials (POST /users/getToken):");
    for c in &fixtures.credentials.0 {
        let _ = writeln!(out, "  imp_key={}  imp_secret={}", c.imp_key, c.imp_secret);
    }
    let _ = writeln!(
        out,
        "payments (GET /payments/{{imp_uid}}/naver/cash-amount):"
    );
    for p in &fixtures.payments.0 {
        let what = match &p.answer {
            NaverAnswer::CashAmount(a) => format!("200, amount_total {}", a.amount_total),
            NaverAnswer::NotNaverPay { pg_provider } => {
                format!("400, not Naver Pay ({pg_provider})")
            }
            NaverAnswer::NaverBroken => "500, Naver's answer is broken".to_owned(),
        };
        let _ = writeln!(out, "  {:<20} → {what}", p.imp_uid);
    }
    let _ = writeln!(out, "  any other imp_uid    → 404");
    if let (Some(c), Some(p)) = (fixtures.credentials.0.first(), fixtures.payments.0.first()) {
        let _ = writeln!(out, "try:");
        let _ = writeln!(
            out,
            "  TOKEN=$(curl -s {base}/users/getToken -H 'Content-Type: application/json' -d '{{\"imp_key\":\"{}\",\"imp_secret\":\"{}\"}}' | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')",
            c.imp_key, c.imp_secret
        );
        let _ = writeln!(
            out,
            "  curl -s {base}/payments/{}/naver/cash-amount -H \"Authorization: Bearer $TOKEN\"",
            p.imp_uid
        );
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}
