//! The API over real HTTP on 127.0.0.1, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

mod accounts;
mod concurrency;
mod contract;
mod deliveries;
mod domains;
mod events;
mod fake_geocoder;
mod follows;
mod group_discussions;
mod group_posts;
mod group_resources;
mod group_todos;
mod groups;
mod health;
mod hiding;
mod hygiene;
mod input;
mod instance;
mod login_delay;
mod moderation;
mod openapi;
mod participation;
mod pictures;
mod places;
mod reports;
mod revert;
mod search;
mod subscribers;
mod support;
mod takedown;
mod unlinkability;

use convene_api::Registrations;
use convene_projections::scratch::{test_urls, Scratch};
use support::TestServer;

/// A fresh server on every backend available (the scratch database lives as long as it).
pub async fn servers(test: &str) -> Vec<(Scratch, TestServer)> {
    let mut servers = Vec::new();
    for scratch in test_urls(test).await {
        let server = TestServer::start(&scratch, Registrations::Open).await;
        servers.push((scratch, server));
    }
    servers
}
