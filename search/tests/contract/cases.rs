//! The contract every backend passes, over the seeded events.

use super::seed::{day, east_of, FINDABLE, GROUPS_FINDABLE, NEVER, PARIS, REVERSED};
use convene_search::{
    EventHits, EventQuery, GroupHits, GroupQuery, Near, OriginFilter, SearchIndex, Sort,
};
use std::collections::BTreeSet;

async fn search(index: &dyn SearchIndex, query: EventQuery) -> EventHits {
    index
        .search_events(&query)
        .await
        .unwrap_or_else(|e| panic!("{}: {query:?}: {e}", index.backend()))
}

async fn ids(index: &dyn SearchIndex, query: EventQuery) -> Vec<String> {
    search(index, query)
        .await
        .hits
        .into_iter()
        .map(|h| h.event.id)
        .collect()
}

fn all() -> EventQuery {
    EventQuery {
        per_page: 100,
        ..EventQuery::default()
    }
}

fn text(text: &str) -> EventQuery {
    EventQuery {
        text: text.into(),
        ..all()
    }
}

async fn groups(index: &dyn SearchIndex, query: GroupQuery) -> GroupHits {
    index
        .search_groups(&query)
        .await
        .unwrap_or_else(|e| panic!("{}: {query:?}: {e}", index.backend()))
}

async fn group_ids(index: &dyn SearchIndex, query: GroupQuery) -> Vec<String> {
    groups(index, query)
        .await
        .hits
        .into_iter()
        .map(|h| h.group.id)
        .collect()
}

fn group_text(text: &str) -> GroupQuery {
    GroupQuery {
        text: text.into(),
        per_page: 100,
        ..GroupQuery::default()
    }
}

/// The groups' cases: their own query, over public groups only.
async fn run_groups(index: &dyn SearchIndex) {
    let name = index.backend();
    let everything = groups(index, group_text("")).await;
    let listed: Vec<&str> = everything
        .hits
        .iter()
        .map(|h| h.group.id.as_str())
        .collect();
    assert_eq!(
        everything.total, GROUPS_FINDABLE as u64,
        "{name}: groups {listed:?}"
    );
    // Most members first without words.
    assert_eq!(listed[0], "climate_network", "{name}: {listed:?}");
    assert_eq!(everything.hits[0].group.members, 3, "{name}: members");
    // Unlisted groups are never found, whether unlisted from the start or later, nor groups
    // the moderators suspended (found again once the suspension is lifted).
    let climate = group_ids(index, group_text("climate")).await;
    let climate: BTreeSet<&str> = climate.iter().map(String::as_str).collect();
    assert_eq!(
        climate,
        BTreeSet::from(["climate_network", "turned_public", "unsuspended_group"]),
        "{name}: groups' text"
    );
    // Highlighted, escaped; found by summary, place, typo, prefix and accents.
    let hits = groups(index, group_text("repair")).await;
    assert_eq!(hits.hits.len(), 1, "{name}");
    assert_eq!(
        hits.hits[0].name_html, "<mark>Repair</mark> collective",
        "{name}"
    );
    assert_eq!(
        group_ids(index, group_text("toasters")).await,
        ["repair_collective"],
        "{name}"
    );
    assert_eq!(
        group_ids(index, group_text("montreuil")).await,
        ["repair_collective"],
        "{name}"
    );
    assert_eq!(
        group_ids(index, group_text("colective")).await,
        ["repair_collective"],
        "{name}: typo"
    );
    assert_eq!(
        group_ids(index, group_text("collec")).await,
        ["repair_collective"],
        "{name}: prefix"
    );
    assert_eq!(
        group_ids(index, group_text("comite fetes")).await,
        ["fetes"],
        "{name}: accents"
    );
    // Distance, on the sphere: the collective is 9 km east of Paris.
    let near = |km: f64| GroupQuery {
        near: Some(Near {
            lat: PARIS.0,
            lon: PARIS.1,
            radius_km: km,
        }),
        ..group_text("")
    };
    let within_10 = groups(index, near(10.0)).await;
    assert_eq!(
        within_10
            .hits
            .iter()
            .map(|h| h.group.id.as_str())
            .collect::<Vec<_>>(),
        ["repair_collective"],
        "{name}: 10 km"
    );
    assert_eq!(within_10.hits[0].distance_km, Some(9.0), "{name}: distance");
    assert!(group_ids(index, near(5.0)).await.is_empty(), "{name}: 5 km");
    // Pages without duplicates, and nothing past the end.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let query = GroupQuery {
            page,
            per_page: 2,
            ..GroupQuery::default()
        };
        paged.extend(group_ids(index, query).await);
    }
    let distinct: BTreeSet<&String> = paged.iter().collect();
    assert_eq!(
        (paged.len(), distinct.len()),
        (GROUPS_FINDABLE, GROUPS_FINDABLE),
        "{name}: pages {paged:?}"
    );
    let past = GroupQuery {
        page: 4,
        per_page: 2,
        ..GroupQuery::default()
    };
    assert!(
        group_ids(index, past).await.is_empty(),
        "{name}: past the end"
    );
}

/// Runs every case against `index`, which holds the seeded log.
pub async fn run(index: &dyn SearchIndex) {
    run_groups(index).await;
    let name = index.backend();
    let found = |ids: &[String], id: &str| ids.iter().any(|i| i == id);

    // Text, with only what everyone may see.
    let climate = ids(index, text("climate")).await;
    assert!(
        found(&climate, "climate-march"),
        "{name}: text: {climate:?}"
    );
    assert!(
        found(&climate, "published-draft"),
        "{name}: published: {climate:?}"
    );
    let everything = ids(index, all()).await;
    for never in NEVER {
        assert!(
            !found(&climate, never),
            "{name}: {never} found: {climate:?}"
        );
        assert!(!found(&everything, never), "{name}: {never} listed");
    }
    assert_eq!(
        everything.len(),
        FINDABLE,
        "{name}: everything: {everything:?}"
    );
    // Moderators' decisions reversed (unsuspended profile, account and group, unhidden,
    // restored).
    for back in REVERSED {
        assert!(
            found(&climate, back),
            "{name}: {back} not found: {climate:?}"
        );
    }

    // A group's event is found by the group's handle; when the group hides which member
    // organised it, not by that member's name.
    assert_eq!(
        ids(index, text("bikekitchen")).await,
        ["group-evening"],
        "{name}"
    );
    assert!(ids(index, text("hiddenmember")).await.is_empty(), "{name}");

    // Highlighted, escaped.
    let hits = search(index, text("climate march")).await;
    let march = hits
        .hits
        .iter()
        .find(|h| h.event.id == "climate-march")
        .unwrap_or_else(|| panic!("{name}: climate march not found"));
    assert_eq!(
        march.title_html, "<mark>Climate</mark> <mark>march</mark>",
        "{name}"
    );

    // One typo in words of five letters or more, and a prefix.
    let typo = ids(index, text("climat marhc")).await;
    assert_eq!(typo, ["climate-march"], "{name}: typo");
    assert_eq!(
        ids(index, text("vegan bar")).await,
        ["vegan-barbecue"],
        "{name}: prefix"
    );

    // Accents, both ways.
    assert_eq!(ids(index, text("fete")).await, ["fete"], "{name}: fete");
    assert_eq!(
        ids(index, text("répair")).await,
        ["repair-cafe"],
        "{name}: répair"
    );
    assert_eq!(
        ids(index, text("CAFÉ")).await,
        ["repair-cafe"],
        "{name}: café"
    );

    // Query syntax is only text.
    for odd in [
        "\"climate",
        "-march",
        "*",
        "climate:march",
        "'",
        "a\"b\"c",
        "(",
        "NEAR(",
    ] {
        search(index, text(odd)).await;
    }
    assert!(search(index, text(&"x".repeat(10_000)))
        .await
        .hits
        .is_empty());

    // Date range.
    let range = EventQuery {
        from: Some(day(15).unix_timestamp()),
        to: Some(day(30).unix_timestamp()),
        ..all()
    };
    let in_range: BTreeSet<String> = ids(index, range).await.into_iter().collect();
    let expected: BTreeSet<String> = ["cancelled-picnic", "fete", "repair-cafe"]
        .map(String::from)
        .into();
    assert_eq!(in_range, expected, "{name}: date range");

    // Radius, on the sphere: the repair café is 9 km east of Paris.
    let near = |km: f64| EventQuery {
        near: Some(Near {
            lat: PARIS.0,
            lon: PARIS.1,
            radius_km: km,
        }),
        ..all()
    };
    let within_10 = ids(index, near(10.0)).await;
    let within_5 = ids(index, near(5.0)).await;
    assert!(
        found(&within_10, "repair-cafe"),
        "{name}: 10 km: {within_10:?}"
    );
    assert!(
        !found(&within_5, "repair-cafe"),
        "{name}: 5 km: {within_5:?}"
    );
    assert!(
        found(&within_5, "climate-march"),
        "{name}: 5 km: {within_5:?}"
    );
    assert!(!found(&within_10, "fete"), "{name}: Lyon is far");
    let distance = search(index, near(10.0))
        .await
        .hits
        .into_iter()
        .find(|h| h.event.id == "repair-cafe")
        .and_then(|h| h.distance_km);
    assert_eq!(distance, Some(9.0), "{name}: distance");
    // From 8.99 km away the café is inside 9 km; from 9.01, outside.
    let edge = |km: f64, radius: f64| {
        let from = east_of(PARIS, 9.0 - km);
        EventQuery {
            near: Some(Near {
                lat: from.0,
                lon: from.1,
                radius_km: radius,
            }),
            ..all()
        }
    };
    assert!(
        found(&ids(index, edge(0.0, 0.1)).await, "repair-cafe"),
        "{name}: at the café"
    );

    // Category, tags, online, origin, status.
    assert_eq!(
        ids(
            index,
            EventQuery {
                category: Some("MUSIC".into()),
                ..all()
            }
        )
        .await,
        ["fete"],
        "{name}: category"
    );
    assert_eq!(
        ids(
            index,
            EventQuery {
                tags: vec!["climate".into(), "walk".into()],
                ..all()
            }
        )
        .await,
        ["climate-march"],
        "{name}: tags"
    );
    assert!(ids(
        index,
        EventQuery {
            tags: vec!["climate".into(), "music".into()],
            ..all()
        }
    )
    .await
    .is_empty());
    assert_eq!(
        ids(
            index,
            EventQuery {
                online: Some(true),
                ..all()
            }
        )
        .await,
        ["solar-workshop"],
        "{name}: online"
    );
    assert_eq!(
        ids(
            index,
            EventQuery {
                origin: OriginFilter::Remote,
                ..all()
            }
        )
        .await,
        ["vegan-barbecue", "lifted-domain"],
        "{name}: remote (a suspended or limited domain's never)"
    );
    let local = ids(
        index,
        EventQuery {
            origin: OriginFilter::Local,
            ..all()
        },
    )
    .await;
    assert_eq!(
        local.len(),
        FINDABLE - 2,
        "{name}: local (all but the remote ones)"
    );
    assert!(!found(&local, "vegan-barbecue"));
    assert_eq!(
        ids(
            index,
            EventQuery {
                status: Some("cancelled".into()),
                ..all()
            }
        )
        .await,
        ["cancelled-picnic"],
        "{name}: cancelled stays findable"
    );

    // Facets count what matched.
    let facets = search(index, text("climate")).await.facets;
    // climate-march, published-draft and the five events moderators let back.
    assert_eq!(facets.origin.get("local"), Some(&7), "{name}: {facets:?}");
    assert_eq!(
        facets.category.get("MOVEMENTS_POLITICS"),
        Some(&1),
        "{name}"
    );
    let facets = search(index, all()).await.facets;
    assert_eq!(facets.online.get("online"), Some(&1), "{name}: {facets:?}");
    assert_eq!(facets.origin.get("remote"), Some(&2), "{name}: {facets:?}");

    // Sorted by participants, most first; hidden counts are not indexed.
    let by_count = search(
        index,
        EventQuery {
            sort: Sort::Participants,
            ..all()
        },
    )
    .await;
    assert_eq!(by_count.hits[0].event.id, "climate-march", "{name}");
    assert_eq!(by_count.hits[0].event.participants, Some(2), "{name}");
    let hidden = by_count
        .hits
        .iter()
        .find(|h| h.event.id == "hidden-count")
        .unwrap_or_else(|| panic!("{name}: hidden-count missing"));
    assert_eq!(hidden.event.participants, None, "{name}: hidden count");
    // Sorted by date.
    let by_date = search(
        index,
        EventQuery {
            sort: Sort::Date,
            ..all()
        },
    )
    .await;
    let dates: Vec<i64> = by_date.hits.iter().map(|h| h.event.begins_at).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{name}: by date");

    // Pages: stable, no duplicate and no gap, and past the end an empty page.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let hits = search(
            index,
            EventQuery {
                text: "series".into(),
                page,
                per_page: 10,
                ..EventQuery::default()
            },
        )
        .await;
        assert_eq!(hits.total, 25, "{name}: total");
        paged.extend(hits.hits.into_iter().map(|h| h.event.id));
    }
    let distinct: BTreeSet<&String> = paged.iter().collect();
    assert_eq!(
        (paged.len(), distinct.len()),
        (25, 25),
        "{name}: pages {paged:?}"
    );
    let past = search(
        index,
        EventQuery {
            text: "series".into(),
            page: 4,
            per_page: 10,
            ..EventQuery::default()
        },
    )
    .await;
    assert!(
        past.hits.is_empty() && past.total == 25,
        "{name}: past the end"
    );
}
