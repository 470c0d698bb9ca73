//! `bench-server --mode <mode>`: serves one server under test on a free loopback port until killed
//! (or, with `--exit-on-stdin-eof`, until its standard input closes). Its first line,
//! `listening on http://ADDR measure URL token TOKEN`, gives the driver the address, the measured
//! request (the cash amount of [`IMP_UID`](iamport_bench::IMP_UID)) and a token the server accepts.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use iamport_bench::Mode;

#[derive(Parser)]
#[command(about = "A server under test for `cargo xtask bench`")]
struct Args {
    #[arg(long, value_enum)]
    mode: Mode,
    /// Tokio worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// Exit when standard input closes (the driver holds a pipe to it).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.exit_on_stdin_eof {
        iamport_bench::exit_when_stdin_closes(0);
    }
    let served = iamport_bench::runtime(args.workers).and_then(|runtime| {
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let (app, token) = args.mode.app().await;
            let base = format!("http://{}", listener.local_addr()?);
            let measure = format!(
                "{base}/payments/{}/naver/cash-amount",
                iamport_bench::IMP_UID
            );
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {base} measure {measure} token {token}")?;
            out.flush()?;
            drop(out);
            axum::serve(listener, app).await
        })
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
