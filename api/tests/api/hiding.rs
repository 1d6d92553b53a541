//! Organisers may hide how many people take part, or only the seats left: no one but the
//! event's organisers learns what is hidden, from one event or from the list.

use crate::servers;
use crate::support::{create_event, member, profile, Client, TestServer};
use serde_json::{json, Value};

/// An event's numbers as an answer gives them: participants, waitlist, seats left.
fn numbers(event: &Value) -> (Value, Value, Value) {
    (
        event["participant_count"].clone(),
        event["waitlist_count"].clone(),
        event["remaining_seats"].clone(),
    )
}

/// Counts as the test expects them: seats left is a number or null.
fn expected(participants: i64, waitlisted: i64, seats: Option<i64>) -> (Value, Value, Value) {
    (json!(participants), json!(waitlisted), json!(seats))
}

/// Event `id`'s numbers as `who` reads them from `GET /api/v1/events/{id}`.
async fn shown(server: &TestServer, client: &Client, who: &str, id: &str) -> (Value, Value, Value) {
    let event = client.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(
        event.status, 200,
        "{}: {who} reads event {id}: {}",
        server.label, event.text
    );
    numbers(&event.json)
}

/// Event `id`'s numbers as `who` reads them in `GET /api/v1/events` (and filtered by organiser).
async fn in_lists(
    server: &TestServer,
    client: &Client,
    who: &str,
    id: &str,
) -> Vec<(String, (Value, Value, Value))> {
    let mut found = Vec::new();
    for path in ["/api/v1/events", "/api/v1/events?tag=climate"] {
        let list = client.get(path).await;
        assert_eq!(
            list.status, 200,
            "{}: {who} lists {path}: {}",
            server.label, list.text
        );
        let event = list
            .json
            .as_array()
            .and_then(|l| l.iter().find(|e| e["id"] == id))
            .unwrap_or_else(|| {
                panic!(
                    "{}: {path} lists no event {id}: {}",
                    server.label, list.text
                )
            });
        found.push((path.to_string(), numbers(event)));
    }
    found
}

/// A member with a profile named `username`.
async fn person(server: &TestServer, username: &str) -> Client {
    let client = member(server, &format!("{username}@example.org")).await;
    profile(&client, username).await;
    client
}

async fn join(server: &TestServer, client: &Client, who: &str, id: &str, state: &str) {
    let joined = client
        .post(&format!("/api/v1/events/{id}/participations"), json!({}))
        .await;
    assert_eq!(
        (joined.status, joined.json["state"].as_str()),
        (201, Some(state)),
        "{}: @{who} joins {id}: {}",
        server.label,
        joined.text
    );
}

fn id_of(event: &Value) -> String {
    event["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_hidden_count_and_the_seats_left_are_for_organisers_only() {
    for (_db, server) in servers("hiding_counts").await {
        let org = person(&server, "org").await;
        let hidden = id_of(
            &create_event(
                &org,
                json!({"title": "Hidden count march", "capacity": 10, "options": {"hide_participant_count": true}}),
            )
            .await,
        );
        let full = id_of(
            &create_event(
                &org,
                json!({"title": "Hidden and full", "capacity": 1, "options": {"hide_participant_count": true}}),
            )
            .await,
        );
        let control =
            id_of(&create_event(&org, json!({"title": "Counted march", "capacity": 10})).await);
        let ana = person(&server, "ana").await;
        let bob = person(&server, "bob").await;
        let cyd = person(&server, "cyd").await;
        let dan = person(&server, "dan").await;
        for (who, client) in [("ana", &ana), ("bob", &bob), ("cyd", &cyd)] {
            join(&server, client, who, &hidden, "participant").await;
            join(&server, client, who, &control, "participant").await;
        }
        join(&server, &ana, "ana", &full, "participant").await;
        join(&server, &bob, "bob", &full, "waitlisted").await;

        // The organiser reads the real numbers (the creator holds no seat and is not counted).
        let real = [
            (&hidden, expected(3, 0, Some(7))),
            (&full, expected(1, 1, Some(0))),
            (&control, expected(3, 0, Some(7))),
        ];
        for (id, numbers) in &real {
            assert_eq!(
                shown(&server, &org, "the organiser", id).await,
                *numbers,
                "{}: the organiser reads event {id}'s real (participants, waitlist, seats left)",
                server.label
            );
        }

        let outsiders = [
            ("a stranger without a token", server.client()),
            ("participant @ana", ana.clone()),
            ("waitlisted @bob", bob.clone()),
            ("member @dan, who takes no part", dan.clone()),
        ];
        let masked = expected(0, 0, None);
        for (who, client) in &outsiders {
            for id in [&hidden, &full] {
                assert_eq!(
                    shown(&server, client, who, id).await,
                    masked,
                    "{}: GET /api/v1/events/{id} leaks a hidden count to {who} \
                     (participant_count, waitlist_count, remaining_seats)",
                    server.label
                );
                for (path, numbers) in in_lists(&server, client, who, id).await {
                    assert_eq!(
                        numbers, masked,
                        "{}: GET {path} leaks event {id}'s hidden count to {who} \
                         (participant_count, waitlist_count, remaining_seats)",
                        server.label
                    );
                }
            }
            // The control: the same checks see the numbers when they are not hidden.
            assert_eq!(
                shown(&server, client, who, &control).await,
                expected(3, 0, Some(7)),
                "{}: {who} reads the counts of an event that does not hide them",
                server.label
            );
            for (path, numbers) in in_lists(&server, client, who, &control).await {
                assert_eq!(
                    numbers,
                    expected(3, 0, Some(7)),
                    "{}: {who} reads the control event's counts in {path}",
                    server.label
                );
            }
            // The participant list would give the count away: it stays closed.
            let list = client
                .get(&format!("/api/v1/events/{hidden}/participations"))
                .await;
            assert!(
                list.status == 401 || list.status == 403,
                "{}: {who} reads the participant list of an event hiding its count: {} {}",
                server.label,
                list.status,
                list.text
            );
        }
    }
}

#[tokio::test]
async fn seats_left_not_shown_are_hidden_but_the_count_is_not() {
    for (_db, server) in servers("hiding_seats").await {
        let org = person(&server, "org").await;
        let event = id_of(
            &create_event(
                &org,
                json!({"capacity": 10, "options": {"show_remaining_seats": false}}),
            )
            .await,
        );
        let ana = person(&server, "ana").await;
        for who in ["bob", "cyd"] {
            let client = person(&server, who).await;
            join(&server, &client, who, &event, "participant").await;
        }
        join(&server, &ana, "ana", &event, "participant").await;

        assert_eq!(
            shown(&server, &org, "the organiser", &event).await,
            expected(3, 0, Some(7)),
            "{}: the organiser reads the seats left",
            server.label
        );
        let outsiders = [
            ("a stranger without a token", server.client()),
            ("participant @ana", ana.clone()),
        ];
        for (who, client) in &outsiders {
            assert_eq!(
                shown(&server, client, who, &event).await,
                expected(3, 0, None),
                "{}: GET /api/v1/events/{event} shows {who} the count but leaks the seats left \
                 the organiser does not show (participant_count, waitlist_count, remaining_seats)",
                server.label
            );
            for (path, numbers) in in_lists(&server, client, who, &event).await {
                assert_eq!(
                    numbers,
                    expected(3, 0, None),
                    "{}: GET {path} shows {who} the count but leaks the seats left the \
                     organiser does not show (participant_count, waitlist_count, remaining_seats)",
                    server.label
                );
            }
        }
    }
}
