//! A sample event and comment as the outbox would give them, and where the fixtures are.

use convene_domain::event::details::{
    Address, EventDetails, EventOptions, EventStatus, JoinMode, MetadataLink, Visibility,
};
use convene_federation::objects::{ActorRef, FederatedComment, FederatedEvent};
use std::io::Write;
use std::path::PathBuf;
use time::macros::datetime;

pub const PUBLIC_URL: &str = "https://convene.example";

pub fn organiser() -> ActorRef {
    ActorRef {
        id: format!("{PUBLIC_URL}/@ana"),
        followers: format!("{PUBLIC_URL}/@ana/followers"),
    }
}

pub fn details() -> EventDetails {
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: "Repair café".into(),
        description: "<p>Bring a <b>broken</b> toaster.</p>".into(),
        begins_at: datetime!(2030-06-01 12:00 UTC),
        ends_at: Some(datetime!(2030-06-01 15:30 UTC)),
        time_zone: "Europe/Paris".into(),
        status: EventStatus::Confirmed,
        visibility: Visibility::Public,
        join_mode: JoinMode::Restricted,
        external_url: None,
        capacity: Some(20),
        address: Some(Address {
            name: Some("Maison des associations".into()),
            street: Some("10 rue Jangot".into()),
            postal_code: Some("69007".into()),
            locality: Some("Lyon".into()),
            region: Some("Auvergne-Rhône-Alpes".into()),
            country: Some("France".into()),
            latitude: Some(45.75),
            longitude: Some(4.84),
        }),
        online_url: Some("https://visio.example.org/repair".into()),
        category: "CRAFTS".into(),
        tags: vec!["repair".into(), "zero-waste".into()],
        language: "fr".into(),
        links: vec![MetadataLink {
            key: "mz:visio:jitsi_meet".into(),
            title: "Jitsi".into(),
            value: "https://meet.example.org/repair".into(),
        }],
        options: EventOptions {
            anonymous_participation: true,
            show_remaining_seats: true,
            hide_participant_count: false,
            comments_open: true,
            online_url_for_participants: false,
        },
    }
    .validate()
    .expect("valid details")
}

pub fn event() -> FederatedEvent {
    FederatedEvent {
        uuid: "4f7a1c2e-0b6d-4a53-9d1e-2f3c4b5a6d7e".into(),
        organiser: organiser(),
        group: None,
        details: details(),
        draft: false,
        participant_count: 7,
        participants: vec!["https://mobilizon.example/@bob".into()],
        picture: None,
        published: datetime!(2030-05-01 08:00:00.250 UTC),
        updated: datetime!(2030-05-02 09:30 UTC),
    }
}

pub fn comment() -> FederatedComment {
    FederatedComment {
        uuid: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".into(),
        author: ActorRef {
            id: format!("{PUBLIC_URL}/@carla"),
            followers: format!("{PUBLIC_URL}/@carla/followers"),
        },
        event: format!("{PUBLIC_URL}/events/4f7a1c2e-0b6d-4a53-9d1e-2f3c4b5a6d7e"),
        event_attributed_to: organiser().id,
        event_visibility: Visibility::Public,
        in_reply_to: None,
        body: "<p>I will bring <em>screwdrivers</em>.</p>".into(),
        published: datetime!(2030-05-03 10:00 UTC),
        updated: Some(datetime!(2030-05-03 10:05 UTC)),
    }
}

/// `../shared/fixtures/activitypub` from the workspace root, or none (said loudly, and a failure
/// in CI) when it is not there.
pub fn fixtures(test: &str) -> Option<PathBuf> {
    let folder =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/activitypub");
    if folder.is_dir() {
        return Some(folder);
    }
    let message = format!(
        "*** {test}: SKIPPED: the ActivityPub fixtures are not at {} (../shared/fixtures/activitypub \
         beside the repository) ***",
        folder.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    let _ = writeln!(std::io::stderr(), "{message}");
    None
}
