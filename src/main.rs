//! `convene`: the command line. Parses options, reads the configuration, connects, and hands
//! over to the crates that do the work; nothing else lives here.

mod account;
mod bench;
mod config;
mod maintenance;
mod profile;
mod reindex;
mod serve;
mod subscribers;

use clap::Parser;
use config::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // One line, saying what to do: every error message is written to end that way.
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once (most messages quote their cause).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line = format!("{line}: {cause}");
        }
    }
    line
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = config::Settings::resolve(&cli)?;
    let default_log = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(settings.log.as_deref().unwrap_or(default_log))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Command::Serve(_) => serve::run(&settings).await,
        Command::Migrate => maintenance::migrate(&settings).await,
        Command::Replay(args) => maintenance::replay(&settings, args).await,
        Command::Verify => maintenance::verify(&settings).await,
        Command::Reindex => reindex::run(&settings).await,
        Command::Account(command) => account::run(&settings, command).await,
        Command::Profile(command) => profile::run(&settings, command).await,
        Command::Bench(config::BenchCommand::Store { events }) => {
            bench::store::store(&settings, events).await
        }
        Command::Bench(config::BenchCommand::Search { events, queries }) => {
            bench::search::search(&settings, events, queries).await
        }
        Command::Bench(config::BenchCommand::Join { joins }) => {
            bench::join::join(&settings, joins).await
        }
        Command::Bench(config::BenchCommand::Web {
            events,
            clients,
            seconds,
        }) => bench::web::web(&settings, events, clients, seconds).await,
    }
}
