//! `convene account create`: accounts made from the command line, already confirmed — the way
//! an instance gets its first administrator.

use crate::config::{AccountCommand, Settings};
use anyhow::{anyhow, bail};
use convene_api::accounts::{create_account, Registration};
use convene_api::validation::validate;
use convene_domain::{Actor, Metadata, Role, Source};
use convene_projections::Database;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

pub async fn run(settings: &Settings, command: AccountCommand) -> anyhow::Result<ExitCode> {
    let AccountCommand::Create {
        email,
        admin,
        moderator,
        locale,
    } = command;
    let role = match (admin, moderator) {
        (true, _) => Role::Administrator,
        (false, true) => Role::Moderator,
        (false, false) => Role::User,
    };
    let registration = Registration {
        email,
        password: read_password()?,
        locale,
        reason: None,
    };
    // Checked before the database and the mail folder are opened, so that bad input leaves
    // nothing behind.
    validate(&registration).map_err(|error| anyhow!("{error}"))?;
    let db = Database::open_within(&settings.database_url, settings.database_timeout).await?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let created = crate::use_case::run(settings, &db, |state| async move {
        create_account(&state, registration, role, true, |_| {
            Metadata::now(Actor::System, Source::Cli, &request_id)
        })
        .await
    })
    .await?
    .map_err(|error| anyhow!("{error}"))?;
    println!("created the {} account {}", role.as_str(), created.id);
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password (at least 10 characters): ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if password.is_empty() {
        bail!("no password given: type it when asked, or pipe it on standard input");
    }
    Ok(password)
}
