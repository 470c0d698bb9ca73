//! `bench-server --mode <mode>`: serves one server under test on loopback until stopped.
//!
//! Prints `listening on http://ADDR` as its first line once the socket is bound (the driver reads the
//! port from it). Stops on Ctrl-C, SIGTERM, or with `--exit-on-stdin-eof` when its standard input
//! closes.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use iamport_bench::Mode;

#[derive(Parser)]
#[command(about = "A server under test for `cargo xtask bench`")]
struct Args {
    #[arg(long, value_enum)]
    mode: Mode,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
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
    let runtime = match iamport_bench::runtime(args.workers) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: std::io::Result<()> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        let addr = listener.local_addr()?;
        let app = args.mode.app();
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{addr} (mode {:?})", args.mode)?;
            out.flush()?;
        }
        tokio::select! {
            served = axum::serve(listener, app) => served,
            () = iamport_bench::stop_signal() => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
