//! The pages over real HTTP on 127.0.0.1, as a browser without JavaScript uses them, on SQLite
//! and (with TEST_DATABASE_URL) PostgreSQL.

mod admin;
mod calendar;
mod cancel;
mod edge;
mod editing;
mod feeds;
mod flows;
mod group_admin;
mod group_discussions;
mod group_posts;
mod group_resources;
mod group_todos;
mod groups;
mod hiding;
mod home;
mod maps;
mod messages;
mod moderation;
mod notifications;
mod participants;
mod pictures;
mod places;
mod remote_reports;
mod rendering;
mod search;
mod sharing;
mod support;

use convene_projections::scratch::{test_urls, Scratch};
use support::Site;

pub async fn sites(test: &str) -> Vec<(Scratch, Site)> {
    let mut sites = Vec::new();
    for scratch in test_urls(test).await {
        let site = Site::start(&scratch).await;
        sites.push((scratch, site));
    }
    sites
}
