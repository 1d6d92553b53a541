//! `convene profile create|rename`: profile administration from the command line.

use crate::config::{ProfileCommand, Settings};
use convene_domain::claim::{handle_claim, handle_owner, ClaimCommand, ClaimError, HandleKind};
use convene_domain::{Actor, Claim, Metadata, Profile, ProfileCommand as Command, Source};
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
            // Nothing is claimed for a name or display name that would be refused.
            convene_domain::profile::validate_username(&username)?;
            if let Some(name) = &display_name {
                convene_domain::profile::normalise_display_name(name)?;
            }
            // Profiles and groups share one namespace of handles: claim it first.
            let claim = ClaimCommand::Take {
                owner: handle_owner(HandleKind::Profile, &username),
            };
            match Commands::<Claim>::new(&db, ())
                .execute_retrying(&handle_claim(&username), claim, &metadata)
                .await
            {
                Err(convene_projections::CommandError::Rejected(ClaimError::Taken)) => {
                    anyhow::bail!("@{username} is already taken by a profile or a group: choose another username")
                }
                other => other.map(drop)?,
            }
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
