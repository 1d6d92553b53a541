//! `convene account create`: accounts made from the command line, already confirmed — the way
//! an instance gets its first administrator.

use crate::config::{AccountCommand, Settings};
use crate::serve::api_config;
use anyhow::{anyhow, bail};
use convene_api::accounts::{create_account, Registration};
use convene_api::validation::validate;
use convene_api::AppState;
use convene_domain::{Actor, Metadata, Role, Source};
use convene_projections::Database;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

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
    let read_models = crate::subscribers::all(&settings.public_url).read_models();
    let state = AppState::new(&db, api_config(settings)?, read_models.clone());
    // No server may be running to apply the read models: apply them here, up to the head, so
    // the checks below read a current view, and keep them running while the account is made.
    read_models.catch_up(&db).await?;
    let shutdown = CancellationToken::new();
    let running = read_models.spawn(&db, &shutdown);
    let request_id = uuid::Uuid::new_v4().to_string();
    let created = create_account(&state, registration, role, true, |_| {
        Metadata::now(Actor::System, Source::Cli, &request_id)
    })
    .await;
    shutdown.cancel();
    for runner in running {
        let _ = runner.await;
    }
    let created = created.map_err(|error| anyhow!("{error}"))?;
    read_models.catch_up(&db).await?;
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
