//! `bench-server --mode <mode>`: serves one server under test on a free loopback port until killed
//! (or, with `--exit-on-stdin-eof`, until its standard input closes). Its first line,
//! `listening on http://ADDR token TOKEN`, gives the driver the address and a token it accepts.

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
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "listening on http://{} token {token}",
                listener.local_addr()?
            )?;
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
