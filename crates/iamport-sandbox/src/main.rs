//! `iamport-sandbox`: serves the PortOne V1 API locally from a fixture set.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use iamport_sandbox::{Fixtures, Limits, NaverAnswer, Sandbox, SystemClock};

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
    /// Seconds a connection has to send a whole request head, and to start the next one after an
    /// answer (the idle keep-alive timeout); then it is closed.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().header_read_timeout.as_secs_f64(), value_parser = seconds)]
    header_timeout: f64,
    /// Seconds from the end of a request head to the answer (body read and handling); then the answer
    /// is a 408.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().request_timeout.as_secs_f64(), value_parser = seconds)]
    request_timeout: f64,
    /// Seconds a write to a client may stay blocked (the client not reading); then the connection is
    /// closed.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().write_timeout.as_secs_f64(), value_parser = seconds)]
    write_timeout: f64,
    /// Connections open at once; beyond it, the quietest one is closed to make room.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections as u32, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds the requests in flight have to finish after Ctrl-C or SIGTERM; a second signal stops at
    /// once.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().shutdown_grace.as_secs_f64(), value_parser = seconds)]
    shutdown_grace: f64,
}

/// A number of seconds: finite, positive and at most a day.
fn seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(secs)
    } else {
        Err(format!(
            "`{text}`: expected more than 0 and at most 86400 seconds"
        ))
    }
}

impl Args {
    fn limits(&self) -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs_f64(self.header_timeout),
            request_timeout: Duration::from_secs_f64(self.request_timeout),
            write_timeout: Duration::from_secs_f64(self.write_timeout),
            max_connections: self.max_connections as usize,
            shutdown_grace: Duration::from_secs_f64(self.shutdown_grace),
            ..Limits::default()
        }
    }
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
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot listen for Ctrl-C: {e}");
            return ExitCode::from(1);
        }
    };
    // The address bound, not the one asked for: `--addr 127.0.0.1:0` gets a free port, named here.
    let addr = listener.local_addr().unwrap_or(args.addr);
    print_welcome(&args, addr, &fixtures);
    let limits = args.limits();
    let grace = limits.shutdown_grace;
    let app = iamport_sandbox::app(Sandbox::new(&fixtures, SystemClock));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = iamport_sandbox::serve_with(listener, app, limits, async {
        let _ = stopped.await;
    });
    let mut server = std::pin::pin!(server);
    // The first signal starts the graceful shutdown (bounded by the grace period); a second one stops
    // at once, without waiting for the requests in flight.
    tokio::select! {
        served = &mut server => return finished(served),
        (name, _) = signals.recv() => {
            tracing::info!(
                "{name}: stopping; finishing requests in flight for up to {} s ({name} again to stop now)",
                grace.as_secs_f64()
            );
            let _ = stop.send(());
        }
    }
    tokio::select! {
        served = &mut server => finished(served),
        (name, code) = signals.recv() => {
            tracing::warn!("{name} again: stopping now, without finishing the requests in flight");
            ExitCode::from(code)
        }
    }
}

fn finished(served: std::io::Result<()>) -> ExitCode {
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: server stopped: {e}");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM; the handlers are installed when [`Signals::install`] returns.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal: its name, and the exit status that reports it (128 + its number).
    async fn recv(&mut self) -> (&'static str, u8) {
        tokio::select! {
            _ = self.interrupt.recv() => ("SIGINT", 130),
            _ = self.terminate.recv() => ("SIGTERM", 143),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn recv(&mut self) -> (&'static str, u8) {
        let _ = tokio::signal::ctrl_c().await;
        ("Ctrl-C", 130)
    }
}

/// The welcome text goes out in one write whose failure is ignored: a closed stdout (`| head -1`) must
/// not take the server down, as `println!` would.
fn print_welcome(args: &Args, addr: SocketAddr, fixtures: &Fixtures) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut out = String::new();
    let base = format!("http://{addr}");
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
    let _ = writeln!(
        out,
        "in the store (GET /payments/{{imp_uid}}, cancel, lists, …):"
    );
    for p in &fixtures.payments.0 {
        if let Some(s) = &p.stored {
            let _ = writeln!(
                out,
                "  {:<20} {} {} {} KRW ({})",
                p.imp_uid, s.merchant_uid, s.status, s.amount, s.pay_method
            );
        }
    }
    for c in &fixtures.customers {
        let _ = writeln!(out, "  billing key {}", c.customer_uid);
    }
    let _ = writeln!(
        out,
        "control (no token; see the sandbox README): POST {base}/sandbox/checkout -d '{{\"merchant_uid\":\"order-1\",\"amount\":1000}}', POST /sandbox/vbanks/{{imp_uid}}/deposit, GET /sandbox/webhooks, PUT /sandbox/notice-url, GET|POST /sandbox/clock, POST /sandbox/reset"
    );
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
