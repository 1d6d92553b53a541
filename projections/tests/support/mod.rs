//! Shared helpers for the integration tests: appending changes, and a projection that records.
#![allow(dead_code)]

use async_trait::async_trait;
use convene_domain::event::details::{
    EventDetails, EventOptions, EventStatus, JoinMode, Visibility,
};
use convene_domain::{Actor, Metadata, Profile, ProfileCommand, Source};
use convene_projections::{Commands, Database, Error, Projection, StoredEvent};
use sqlx::AnyConnection;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

/// A public event a month from now that anyone may join, with `capacity` seats.
pub fn event_details(capacity: i64) -> EventDetails {
    let begins_at = OffsetDateTime::now_utc() + Duration::days(30);
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: "Repair café".into(),
        description: "<p>Bring what is broken</p>".into(),
        begins_at,
        ends_at: Some(begins_at + Duration::hours(3)),
        time_zone: "Europe/Paris".into(),
        status: EventStatus::Confirmed,
        visibility: Visibility::Public,
        join_mode: JoinMode::Free,
        external_url: None,
        capacity: Some(capacity),
        address: None,
        online_url: None,
        category: "COMMUNITY".into(),
        tags: vec![],
        language: "fr".into(),
        links: vec![],
        options: EventOptions::default(),
    }
}

pub fn cli() -> Metadata {
    Metadata::now(Actor::System, Source::Cli, "test")
}

pub async fn create(commands: &Commands<Profile>, username: &str) -> i64 {
    let command = ProfileCommand::Create {
        username: username.into(),
        display_name: None,
        account: None,
    };
    commands
        .execute(username, command, &cli())
        .await
        .expect("create a profile")
}

pub async fn rename(commands: &Commands<Profile>, username: &str, name: &str) -> i64 {
    let command = ProfileCommand::Update {
        display_name: Some(name.into()),
        summary: None,
    };
    commands
        .execute_retrying(username, command, &cli())
        .await
        .expect("rename a profile")
}

/// Appends `profiles` creations and `renames` renames of each: `profiles * (1 + renames)` events.
pub async fn fill(db: &Database, profiles: usize, renames: usize) {
    let commands = Commands::<Profile>::new(db, ());
    for p in 0..profiles {
        let username = format!("user{p}");
        create(&commands, &username).await;
        for r in 0..renames {
            rename(&commands, &username, &format!("User {p} v{r}")).await;
        }
    }
}

/// A projection that records every event it applies (position, payload, which runner) into
/// `recorded`, and can be told to hang forever at one position, as if killed there.
pub struct Recorder {
    pub runner: &'static str,
    pub hang_at: Option<i64>,
    pub reached: Arc<Notify>,
}

impl Recorder {
    pub fn new(runner: &'static str) -> Self {
        Self {
            runner,
            hang_at: None,
            reached: Arc::new(Notify::new()),
        }
    }

    pub async fn create_table(db: &Database) {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS recorded (position BIGINT NOT NULL, payload TEXT NOT NULL, runner TEXT NOT NULL)",
        )
        .execute(db.pool())
        .await
        .expect("create the recorder's table");
    }
}

#[async_trait]
impl Projection for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["recorded"]
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        sqlx::query("INSERT INTO recorded (position, payload, runner) VALUES ($1, $2, $3)")
            .bind(event.position)
            .bind(&event.payload)
            .bind(self.runner)
            .execute(conn)
            .await?;
        if Some(event.position) == self.hang_at {
            self.reached.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}
