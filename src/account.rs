//! `convene account create`: accounts made from the command line, already confirmed — the way
//! an instance gets its first administrator.

use crate::config::{AccountCommand, Settings};
use crate::serve::api_config;
use anyhow::{anyhow, bail};
use convene_api::accounts::{create_account, Registration};
use convene_api::AppState;
use convene_domain::{Actor, Metadata, Role, Source};
use convene_projections::{all_projections, Database, Runner};
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
    let password = read_password()?;
    let db = Database::open(&settings.database_url).await?;
    let state = AppState::new(&db, api_config(settings)?);
    // No server may be running to apply the projections: apply them here, up to the head, so
    // the checks below read a current view and the account can log in at once.
    catch_up(&db).await?;
    let registration = Registration {
        email,
        password,
        locale,
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let created = create_account(&state, registration, role, true, |_| {
        Metadata::now(Actor::System, Source::Cli, &request_id)
    });
    let created = tokio::select! {
        created = created => created,
        applied = follow(&db) => return Err(applied.err().unwrap_or_else(|| anyhow!("projections stopped"))),
    }
    .map_err(|problem| anyhow!("{}", problem.detail))?;
    catch_up(&db).await?;
    println!("created the {} account {}", role.as_str(), created.id);
    Ok(ExitCode::SUCCESS)
}

async fn catch_up(db: &Database) -> anyhow::Result<()> {
    let head = convene_projections::log::EventLog::new(db)
        .head()
        .await?
        .position;
    for projection in all_projections() {
        Runner::new(projection, db)
            .catch_up(head, &mut |_| {})
            .await?;
    }
    Ok(())
}

/// Keeps the projections applied while a command waits to read its own writes.
async fn follow(db: &Database) -> anyhow::Result<()> {
    loop {
        catch_up(db).await?;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
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
