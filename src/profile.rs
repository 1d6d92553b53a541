//! `convene profile create|rename`: profile administration from the command line.

use crate::config::{ProfileCommand, Settings};
use convene_domain::{Actor, Metadata, Profile, ProfileCommand as Command, Source};
use convene_projections::{Commands, Database};
use std::process::ExitCode;

pub async fn run(settings: &Settings, command: ProfileCommand) -> anyhow::Result<ExitCode> {
    let db = Database::open_within(&settings.database_url, settings.database_timeout).await?;
    let commands = Commands::<Profile>::new(&db, ());
    let metadata = Metadata::now(Actor::System, Source::Cli, uuid::Uuid::new_v4().to_string());
    let (username, command, done) = match command {
        ProfileCommand::Create {
            username,
            display_name,
        } => {
            // The aggregate id is the username itself: that is how it is claimed.
            let command = Command::Create {
                username: username.clone(),
                display_name,
                account: None,
            };
            (username, command, "created")
        }
        ProfileCommand::Rename {
            username,
            display_name,
        } => {
            let command = Command::Update {
                display_name: Some(display_name),
                summary: None,
            };
            (username, command, "renamed")
        }
    };
    let position = commands
        .execute_retrying(&username, command, &metadata)
        .await?;
    println!("{done} @{username} (log position {position})");
    Ok(ExitCode::SUCCESS)
}
