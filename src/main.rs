//! `convene`: the command line. Parses options, reads the configuration, connects, and hands
//! over to the crates that do the work; nothing else lives here.

mod account;
mod audit;
mod bench;
mod config;
mod connections;
mod federation;
mod http_server;
mod maintenance;
mod notifications;
mod profile;
mod reindex;
mod serve;
mod subscribers;
mod use_case;

use clap::Parser;
use config::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return argument_error(&error),
    };
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // One line, saying what to do: every error message is written to end that way.
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Help and the version as clap prints them; a mistake on the command line as one line saying
/// what is wrong, then where the help is.
fn argument_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        // `convene` alone: the help, as a mistake.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    eprintln!("{}", argument_error_text(&error.render().to_string()));
    ExitCode::from(2)
}

/// clap's message (several lines, a usage and a hint) as one line, then the hint naming the
/// command whose help to read.
fn argument_error_text(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut command = "convene".to_string();
    for line in rendered.lines().map(str::trim) {
        if let Some(usage) = line.strip_prefix("Usage: ") {
            command = usage
                .split_whitespace()
                .take_while(|word| !word.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ");
            break;
        }
        match line.strip_prefix("tip: ") {
            _ if line.is_empty() || line.starts_with("For more information") => {}
            Some(tip) => parts.push(format!("({tip})")),
            None => parts.push(line.to_string()),
        }
    }
    format!("{}\nsee `{command} --help`", parts.join(" "))
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
    // Other commands keep their output to their result, or one line of error: sqlx's warnings of
    // slow statements (a database that keeps them waiting) would only come before that line.
    let default_log = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn,sqlx=error",
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
        Command::Audit(command) => audit::run(&settings, command).await,
        Command::Reindex => reindex::run(&settings).await,
        Command::Account(command) => account::run(&settings, command).await,
        Command::Profile(command) => profile::run(&settings, command).await,
        Command::Federation(command) => federation::run(&settings, command).await,
        Command::Notifications(command) => notifications::run(&settings, command).await,
        Command::Bench(config::BenchCommand::Store { events }) => {
            bench::store::store(&settings, events).await
        }
        Command::Bench(config::BenchCommand::Search { events, queries }) => {
            bench::search::search(&settings, events, queries).await
        }
        Command::Bench(config::BenchCommand::Federation {
            inboxes,
            hosts,
            latency_ms,
            posts,
            clients,
        }) => {
            bench::federation::federation(&settings, inboxes, hosts, latency_ms, posts, clients)
                .await
        }
        Command::Bench(config::BenchCommand::Audit { changes, queries }) => {
            bench::audit::audit(&settings, changes, queries).await
        }
        Command::Bench(config::BenchCommand::Join {
            joins,
            participants,
        }) => bench::join::join(&settings, joins, participants).await,
        Command::Bench(config::BenchCommand::Notifications {
            participants,
            smtp_mails,
            requests,
        }) => {
            bench::notifications::notifications(&settings, participants, smtp_mails, requests).await
        }
        Command::Bench(config::BenchCommand::Web {
            events,
            clients,
            seconds,
        }) => bench::web::web(&settings, events, clients, seconds).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(args: &[&str]) -> String {
        let mut argv = vec!["convene"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv) {
            Ok(_) => String::new(),
            Err(error) => argument_error_text(&error.render().to_string()),
        }
    }

    #[test]
    fn a_mistake_on_the_command_line_is_one_line_and_a_hint() {
        for (args, message, hint) in [
            (
                &["serve", "--lisen", "x"][..],
                "error: unexpected argument '--lisen' found (a similar argument exists: '--listen')",
                "see `convene serve --help`",
            ),
            (
                &["replay", "--as-of", "3"][..],
                "error: the following required arguments were not provided: --into <PATH>",
                "see `convene replay --help`",
            ),
            (
                &["acount"][..],
                "error: unrecognized subcommand 'acount'",
                "see `convene --help`",
            ),
        ] {
            let text = said(args);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(lines[0].starts_with(message), "{args:?}: {text}");
            assert_eq!(lines[1], hint, "{args:?}");
        }
    }
}
