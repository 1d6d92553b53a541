//! Our own JSON read back by our incoming parser gives the same values.

use super::support::{comment, event, PUBLIC_URL};
use convene_domain::event::details::{EventStatus, JoinMode, Visibility};
use convene_federation::incoming::{parse, parse_bytes, Incoming, IncomingObject, ObjectRef};
use convene_federation::objects::{
    activity_id, event_object, note_object, tombstone, Activity, ActivityKind, FederatedEvent,
};
use time::macros::datetime;

fn read_back(event: &FederatedEvent) -> convene_federation::incoming::IncomingEvent {
    let body = serde_json::to_vec(&event_object(PUBLIC_URL, event)).expect("serialises");
    match parse_bytes(&body) {
        Ok(Incoming::Object(IncomingObject::Event(read))) => *read,
        other => panic!("our event reads back, not {other:?}"),
    }
}

#[test]
fn an_event_reads_back_to_the_same_details() {
    let sent = event();
    let read = read_back(&sent);
    assert_eq!(read.details, sent.details);
    assert_eq!(read.id, format!("{PUBLIC_URL}/events/{}", sent.uuid));
    assert_eq!(read.url.as_deref(), Some(read.id.as_str()));
    assert_eq!(read.uuid.as_deref(), Some(sent.uuid.as_str()));
    assert_eq!(read.actor, sent.organiser.id);
    assert_eq!(read.attributed_to, sent.organiser.id);
    assert_eq!(read.participant_count, Some(7));
    // Whole seconds on the wire.
    assert_eq!(read.published, Some(datetime!(2030-05-01 08:00 UTC)));
    assert_eq!(read.updated, Some(sent.updated));
}

/// A group's event for its members only reads back as theirs alone (`Unlisted` here, never
/// listed); a group's public event, and a person's, as for everyone.
#[test]
fn a_group_event_for_its_members_reads_back_as_theirs_alone() {
    use convene_federation::objects::{ActorRef, FederatedGroup};
    let group = format!("{PUBLIC_URL}/@union");
    let mut sent = event();
    for members_only in [true, false] {
        sent.group = Some(FederatedGroup {
            actor: ActorRef {
                id: group.clone(),
                followers: format!("{group}/followers"),
            },
            hide_organiser: true,
            members_only,
        });
        let read = read_back(&sent);
        assert_eq!(read.attributed_to, group);
        assert_eq!(read.for_members, members_only);
        let visibility = match members_only {
            true => Visibility::Unlisted,
            false => Visibility::Public,
        };
        assert_eq!(read.details.visibility, visibility);
    }
    assert!(!read_back(&event()).for_members);
}

#[test]
fn every_variation_reads_back() {
    let mut variations = Vec::new();
    for visibility in [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
    ] {
        let mut e = event();
        e.details.visibility = visibility;
        variations.push(e);
    }
    let mut external = event();
    external.details.join_mode = JoinMode::External;
    external.details.external_url = Some("https://tickets.example.org/x".into());
    external.details.status = EventStatus::Cancelled;
    variations.push(external);
    let mut bare = event();
    bare.details.address = None;
    bare.details.online_url = None;
    bare.details.ends_at = None;
    bare.details.capacity = None;
    bare.details.tags.clear();
    bare.details.links.clear();
    bare.details.time_zone = "America/New_York".into();
    bare.details.status = EventStatus::Tentative;
    bare.details.options.comments_open = false;
    bare.details.options.anonymous_participation = false;
    bare.details.options.hide_participant_count = true;
    bare.details.options.show_remaining_seats = false;
    variations.push(bare);
    let mut hidden_seats = event();
    hidden_seats.details.options.show_remaining_seats = false;
    variations.push(hidden_seats);
    for sent in variations {
        assert_eq!(read_back(&sent).details, sent.details);
    }
}

#[test]
fn a_note_and_a_tombstone_read_back() {
    let sent = comment();
    let json = serde_json::to_value(note_object(PUBLIC_URL, &sent)).expect("serialises");
    let Ok(Incoming::Object(IncomingObject::Note(note))) = parse(&json) else {
        panic!("our note reads back");
    };
    assert_eq!(note.id, format!("{PUBLIC_URL}/comments/{}", sent.uuid));
    assert_eq!(note.in_reply_to, sent.event);
    assert_eq!(note.attributed_to, sent.author.id);
    assert_eq!(note.content, sent.body);
    assert_eq!(note.published, Some(sent.published));
    assert_eq!(note.updated, sent.updated);
    assert_eq!(note.visibility, Visibility::Public);

    let id = format!("{PUBLIC_URL}/comments/{}", sent.uuid);
    let deleted = datetime!(2030-05-04 12:00 UTC);
    let json = serde_json::to_value(tombstone(&id, "Note", deleted, Some(&sent.author.id)))
        .expect("serialises");
    let Ok(Incoming::Object(IncomingObject::Tombstone(read))) = parse(&json) else {
        panic!("our tombstone reads back");
    };
    assert_eq!(read.id, id);
    assert_eq!(read.former_type.as_deref(), Some("Note"));
    assert_eq!(read.deleted, Some(deleted));
}

#[test]
fn activities_read_back_with_their_object_embedded_or_named() {
    let sent = event();
    let create_id = activity_id(PUBLIC_URL, "e1", 1, ActivityKind::Create);
    let create = Activity::new(
        create_id.clone(),
        ActivityKind::Create,
        &sent.organiser.id,
        event_object(PUBLIC_URL, &sent),
        vec!["https://www.w3.org/ns/activitystreams#Public".into()],
        vec![sent.organiser.followers.clone()],
        datetime!(2030-05-01 08:00 UTC),
    );
    let Ok(Incoming::Activity(read)) = parse(&serde_json::to_value(&create).expect("json")) else {
        panic!("our Create reads back");
    };
    assert_eq!(read.kind, ActivityKind::Create);
    assert_eq!(read.id, create_id);
    assert_eq!(read.actor, sent.organiser.id);
    assert_eq!(read.cc, std::slice::from_ref(&sent.organiser.followers));
    let ObjectRef::Object(IncomingObject::Event(event)) = read.object else {
        panic!("the event embedded");
    };
    assert_eq!(event.details, sent.details);

    let mut join = Activity::new(
        activity_id(PUBLIC_URL, "e1", 2, ActivityKind::Join),
        ActivityKind::Join,
        &format!("{PUBLIC_URL}/@bob"),
        "https://mobilizon.example/events/1",
        vec!["https://mobilizon.example/@org".into()],
        vec![],
        datetime!(2030-05-01 08:00 UTC),
    );
    join.participation_message = Some("Room for two?".into());
    let Ok(Incoming::Activity(read)) = parse(&serde_json::to_value(&join).expect("json")) else {
        panic!("our Join reads back");
    };
    assert_eq!(read.kind, ActivityKind::Join);
    assert_eq!(
        read.object,
        ObjectRef::Id("https://mobilizon.example/events/1".into())
    );
    assert_eq!(read.participation_message.as_deref(), Some("Room for two?"));
}

#[test]
fn an_event_s_picture_is_a_banner_document_and_an_image_that_read_back() {
    let mut sent = event();
    sent.picture = Some(convene_domain::picture::ShownPicture {
        id: "p1".into(),
        facts: convene_domain::picture::PictureFacts {
            hash: "0f".repeat(32),
            width: 1280,
            height: 853,
            widths: vec![320, 640, 1280],
            colour: "#334455".into(),
            blurhash: None,
        },
        alt: "Toasters on a table".into(),
    });
    let json = serde_json::to_value(event_object(PUBLIC_URL, &sent)).expect("serialises");
    let url = format!("{PUBLIC_URL}/pictures/{}-1280.jpg", "0f".repeat(32));
    // As Mobilizon writes and reads it: a Document named "Banner" among the attachments.
    let banner = json["attachment"]
        .as_array()
        .expect("attachments")
        .iter()
        .find(|a| a["name"] == "Banner")
        .expect("a banner");
    assert_eq!(banner["type"], "Document");
    assert_eq!(banner["mediaType"], "image/jpeg");
    assert_eq!(banner["url"], url.as_str());
    // Mastodon takes a description from `summary` first.
    assert_eq!(banner["summary"], "Toasters on a table");
    assert_eq!(banner["width"], 1280);
    assert_eq!(banner["height"], 853);
    assert_eq!(json["image"]["type"], "Image");
    assert_eq!(json["image"]["url"], url.as_str());
    assert_eq!(json["image"]["name"], "Toasters on a table");

    let mut read = read_back(&sent);
    let picture = read
        .details
        .remote_picture
        .take()
        .expect("the picture reads back");
    assert_eq!(picture.url, url);
    assert_eq!(picture.alt, "Toasters on a table");
    assert_eq!(
        read.details, sent.details,
        "links and the online address stay apart"
    );
    assert_eq!(read_back(&event()).details.remote_picture, None);
}
