//! Our JSON, property by property, against what Mobilizon emits and accepts (reference
//! mobilizon.md §2.3, its converter `event.ex`).

use super::support::{comment, event, organiser, PUBLIC_URL};
use convene_domain::event::details::{JoinMode, Visibility};
use convene_federation::context::PUBLIC;
use convene_federation::objects::{
    activity_id, event_object, note_object, tombstone, Activity, ActivityKind, ActorRef,
    FederatedGroup,
};
use serde_json::{json, Value};
use time::macros::datetime;

fn event_json(event: &convene_federation::objects::FederatedEvent) -> Value {
    serde_json::to_value(event_object(PUBLIC_URL, event)).expect("serialises")
}

#[test]
fn an_event_has_every_property_mobilizon_reads_with_its_values() {
    let json = event_json(&event());
    let id = format!("{PUBLIC_URL}/events/4f7a1c2e-0b6d-4a53-9d1e-2f3c4b5a6d7e");
    let expected = [
        ("type", json!("Event")),
        ("id", json!(id)),
        ("url", json!(id)),
        ("uuid", json!("4f7a1c2e-0b6d-4a53-9d1e-2f3c4b5a6d7e")),
        ("name", json!("Repair café")),
        ("content", json!("<p>Bring a <b>broken</b> toaster.</p>")),
        ("mediaType", json!("text/html")),
        // Shifted into the event's zone: an offset, not Z.
        ("startTime", json!("2030-06-01T14:00:00+02:00")),
        ("endTime", json!("2030-06-01T17:30:00+02:00")),
        ("timezone", json!("Europe/Paris")),
        ("published", json!("2030-05-01T08:00:00Z")),
        ("updated", json!("2030-05-02T09:30:00Z")),
        ("actor", json!(organiser().id)),
        ("attributedTo", json!(organiser().id)),
        ("to", json!([PUBLIC])),
        ("cc", json!([organiser().followers])),
        ("category", json!("CRAFTS")),
        ("joinMode", json!("restricted")),
        ("maximumAttendeeCapacity", json!(20)),
        ("remainingAttendeeCapacity", json!(13)),
        ("participantCount", json!(7)),
        ("repliesModerationOption", json!("allow_all")),
        ("commentsEnabled", json!(true)),
        ("anonymousParticipationEnabled", json!(true)),
        // A place and an online address: not "online only".
        ("isOnline", json!(false)),
        ("draft", json!(false)),
        ("status", json!("CONFIRMED")),
        ("ical:status", json!("CONFIRMED")),
        ("inLanguage", json!("fr")),
        (
            "summary",
            json!("Sat 1 June 2030, 14:00 (UTC+02:00) - Maison des associations, 10 rue Jangot, 69007, Lyon, France"),
        ),
    ];
    for (property, value) in expected {
        assert_eq!(json[property], value, "{property}");
    }
    assert_eq!(
        json["tag"],
        json!([
            {"type": "Hashtag", "name": "#repair", "href": format!("{PUBLIC_URL}/tags/repair")},
            {"type": "Hashtag", "name": "#zero-waste", "href": format!("{PUBLIC_URL}/tags/zero-waste")},
        ])
    );
    assert_eq!(
        json["location"],
        json!({
            "type": "Place",
            "id": format!("{id}#address"),
            "name": "Maison des associations",
            "address": {
                "type": "PostalAddress",
                "streetAddress": "10 rue Jangot",
                "postalCode": "69007",
                "addressLocality": "Lyon",
                "addressRegion": "Auvergne-Rhône-Alpes",
                "addressCountry": "France",
            },
            "latitude": 45.75,
            "longitude": 4.84,
        })
    );
    assert_eq!(
        json["attachment"],
        json!([
            {"type": "PropertyValue", "propertyID": "mz:visio:jitsi_meet",
             "value": "https://meet.example.org/repair", "name": "Jitsi"},
            {"type": "Link", "href": "https://visio.example.org/repair",
             "mediaType": "text/html", "name": "Website"},
        ])
    );
    // No external URL unless people register elsewhere.
    assert!(json.get("externalParticipationUrl").is_none());
    let context = &json["@context"];
    assert_eq!(context[0], "https://www.w3.org/ns/activitystreams");
    assert_eq!(context[2]["mz"], "https://joinmobilizon.org/ns#");
}

#[test]
fn what_the_organiser_hides_is_not_sent() {
    let mut hidden = event();
    hidden.details.options.hide_participant_count = true;
    hidden.details.options.show_remaining_seats = false;
    hidden.details.options.online_url_for_participants = true;
    hidden.details.options.comments_open = false;
    let json = event_json(&hidden);
    assert!(json.get("participantCount").is_none());
    assert!(json.get("remainingAttendeeCapacity").is_none());
    assert_eq!(json["repliesModerationOption"], "closed");
    assert_eq!(json["commentsEnabled"], false);
    let attachments = json["attachment"].as_array().expect("a list");
    assert!(
        attachments.iter().all(|a| a["name"] != "Website"),
        "the online address is for participants only: {attachments:?}"
    );
    // Unlimited: null capacity, null remaining seats (shown, but there is no limit).
    let mut open = event();
    open.details.capacity = None;
    let json = event_json(&open);
    assert_eq!(json["maximumAttendeeCapacity"], Value::Null);
    assert_eq!(json["remainingAttendeeCapacity"], Value::Null);
    // A full event has no seat left, never a negative count.
    let mut full = event();
    full.participant_count = 25;
    assert_eq!(event_json(&full)["remainingAttendeeCapacity"], 0);
}

#[test]
fn the_audience_follows_the_visibility() {
    let mut unlisted = event();
    unlisted.details.visibility = Visibility::Unlisted;
    let json = event_json(&unlisted);
    assert_eq!(json["to"], json!([organiser().followers]));
    assert_eq!(json["cc"], json!([PUBLIC]));
    let mut private = event();
    private.details.visibility = Visibility::Private;
    let json = event_json(&private);
    assert_eq!(json["to"], json!([organiser().followers]));
    assert_eq!(json["cc"], json!(["https://mobilizon.example/@bob"]));
    let text = json.to_string();
    assert!(
        !text.contains("#Public"),
        "a private event is never public: {text}"
    );
}

#[test]
fn a_group_event_is_attributed_to_the_group_and_hides_the_member_when_asked() {
    let group = ActorRef {
        id: format!("{PUBLIC_URL}/@gardeners"),
        followers: format!("{PUBLIC_URL}/@gardeners/followers"),
    };
    let mut by_group = event();
    by_group.group = Some(FederatedGroup {
        actor: group.clone(),
        hide_organiser: false,
        members_only: false,
    });
    let json = event_json(&by_group);
    assert_eq!(json["attributedTo"], group.id);
    assert_eq!(json["actor"], organiser().id);
    assert_eq!(json["cc"], json!([group.followers]));
    by_group.group = Some(FederatedGroup {
        actor: group.clone(),
        hide_organiser: true,
        members_only: false,
    });
    let json = event_json(&by_group);
    assert_eq!(json["actor"], group.id);
    assert!(
        !json.to_string().contains("/@ana"),
        "the organiser is hidden: {json}"
    );
    // For its members only: addressed to them alone, never to the public or the followers.
    by_group.group = Some(FederatedGroup {
        actor: group.clone(),
        hide_organiser: false,
        members_only: true,
    });
    let json = event_json(&by_group);
    assert_eq!(json["to"], json!([format!("{}/members", group.id)]));
    assert_eq!(json["cc"], json!([]));
}

#[test]
fn external_registration_cancelled_and_online_only_events() {
    let mut external = event();
    external.details.join_mode = JoinMode::External;
    external.details.external_url = Some("https://tickets.example.org/repair".into());
    external.details.status = convene_domain::event::details::EventStatus::Cancelled;
    external.details.address = None;
    external.draft = true;
    let json = event_json(&external);
    assert_eq!(json["joinMode"], "external");
    assert_eq!(
        json["externalParticipationUrl"],
        "https://tickets.example.org/repair"
    );
    assert_eq!(json["status"], "CANCELLED");
    assert_eq!(json["ical:status"], "CANCELLED");
    assert_eq!(json["isOnline"], true);
    assert_eq!(json["draft"], true);
    assert!(json.get("location").is_none());
    assert_eq!(json["summary"], "Sat 1 June 2030, 14:00 (UTC+02:00)");
}

#[test]
fn a_comment_is_a_note_replying_to_its_event_or_its_parent() {
    let json = serde_json::to_value(note_object(PUBLIC_URL, &comment())).expect("serialises");
    let id = format!("{PUBLIC_URL}/comments/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    assert_eq!(json["type"], "Note");
    assert_eq!(json["id"], id);
    assert_eq!(json["uuid"], "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    assert_eq!(json["inReplyTo"], comment().event);
    assert_eq!(json["attributedTo"], format!("{PUBLIC_URL}/@carla"));
    assert_eq!(json["actor"], format!("{PUBLIC_URL}/@carla"));
    assert_eq!(
        json["content"],
        "<p>I will bring <em>screwdrivers</em>.</p>"
    );
    assert_eq!(json["mediaType"], "text/html");
    assert_eq!(json["published"], "2030-05-03T10:00:00Z");
    assert_eq!(json["updated"], "2030-05-03T10:05:00Z");
    assert_eq!(json["to"], json!([PUBLIC]));
    assert_eq!(
        json["cc"],
        json!([format!("{PUBLIC_URL}/@carla/followers"), organiser().id])
    );
    let mut reply = comment();
    reply.in_reply_to = Some(format!("{PUBLIC_URL}/comments/parent"));
    reply.event_visibility = Visibility::Private;
    let json = serde_json::to_value(note_object(PUBLIC_URL, &reply)).expect("serialises");
    assert_eq!(json["inReplyTo"], format!("{PUBLIC_URL}/comments/parent"));
    assert_eq!(json["to"], json!([organiser().id]));
    assert_eq!(json["cc"], json!([]));
}

#[test]
fn a_tombstone_says_what_was_deleted_and_when() {
    let json = serde_json::to_value(tombstone(
        &format!("{PUBLIC_URL}/events/x"),
        "Event",
        datetime!(2030-06-02 10:00 UTC),
        Some(&organiser().id),
    ))
    .expect("serialises");
    assert_eq!(json["type"], "Tombstone");
    assert_eq!(json["id"], format!("{PUBLIC_URL}/events/x"));
    assert_eq!(json["formerType"], "Event");
    assert_eq!(json["deleted"], "2030-06-02T10:00:00Z");
    assert_eq!(json["actor"], organiser().id);
}

#[test]
fn activity_ids_are_derived_from_the_change_and_differ_by_kind() {
    let create = activity_id(PUBLIC_URL, "event-1", 3, ActivityKind::Create);
    assert_eq!(create, format!("{PUBLIC_URL}/activities/event-1/3/create"));
    assert_eq!(
        create,
        activity_id(
            &format!("{PUBLIC_URL}/"),
            "event-1",
            3,
            ActivityKind::Create
        ),
        "a trailing slash changes nothing"
    );
    let mut seen = std::collections::HashSet::new();
    for kind in ActivityKind::ALL {
        for sequence in 1..=3 {
            assert!(seen.insert(activity_id(PUBLIC_URL, "event-1", sequence, kind)));
        }
    }
    let activity = Activity::new(
        create.clone(),
        ActivityKind::Create,
        &organiser().id,
        event_object(PUBLIC_URL, &event()),
        vec![PUBLIC.into()],
        vec![],
        datetime!(2030-05-01 08:00 UTC),
    );
    let json = serde_json::to_value(&activity).expect("serialises");
    assert_eq!(json["type"], "Create");
    assert_eq!(json["id"], create);
    assert_eq!(json["object"]["type"], "Event");
    assert!(
        json["object"].get("@context").is_none(),
        "an embedded object carries no context of its own"
    );
    assert!(json.get("@context").is_some());
}
