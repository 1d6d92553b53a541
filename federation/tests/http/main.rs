//! Discovery and actors over real HTTP on 127.0.0.1, on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL.

mod actors;
mod discovery;
mod groups;
mod keys;
mod outbox;
mod support;

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
