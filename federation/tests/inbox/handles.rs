//! Other instances' people and groups named by handle: a moderator here invites
//! `@alice@other.example` (WebFinger, then the actor fetched and kept), a local `bob` however
//! written stays local, and names that lead to no person are refused on `username` with the
//! reason, nothing written; another instance's group has a page here at `/@club@host` (what its
//! actor says, the public events it sent here, a link to its own page), which a handle in the
//! search box leads to, and from which a profile follows it (asked until the group accepts).

use crate::support::*;
use crate::{bytes, decide_on_domain, now};
use convene_api::accounts::{create_account, Registration};
use convene_domain::remote_domain::DomainAction;
use convene_domain::{Actor, Metadata, Role, Source};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

/// Calls the JSON API of `local` with `token`: the status and the JSON answered.
async fn api(
    local: &Local,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", local.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("the instance answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A confirmed account `{name}@here.example` with the profile `@name`: its session's token.
async fn someone(local: &Local, name: &str) -> String {
    let email = format!("{name}@here.example");
    let registration: Registration = serde_json::from_value(
        json!({"email": email, "password": "correct horse battery", "locale": "en"}),
    )
    .expect("a registration");
    create_account(&local.state, registration, Role::User, true, |_| {
        Metadata::now(Actor::System, Source::Cli, "test")
    })
    .await
    .expect("an account");
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/sessions", local.base))
        .header("content-type", "application/json")
        .body(json!({"email": email, "password": "correct horse battery"}).to_string())
        .send()
        .await
        .expect("the instance answers");
    let session: Value =
        serde_json::from_str(&response.text().await.unwrap_or_default()).expect("a session");
    let token = session["token"].as_str().expect("a token").to_string();
    let (status, created) = api(
        local,
        "POST",
        "/api/v1/profiles",
        &token,
        Some(json!({ "username": name })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    token
}

/// Serves a WebFinger answer on `remote` whose `self` link is `actor` (every resource asked).
fn webfinger(remote: &Remote, actor: &str) {
    remote.serve(
        ".well-known/webfinger",
        json!({"links": [{"rel": "self", "type": "application/activity+json", "href": actor}]}),
    );
}

/// Serves the `Group` `groups/club` on `remote` and WebFinger leading to it; its id.
pub(crate) fn club(remote: &Remote) -> String {
    let id = remote.url("groups/club");
    remote.serve(
        "groups/club",
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Group",
            "preferredUsername": "club",
            "name": "Climbing club",
            "summary": "<p>We <b>climb</b><script>alert(1)</script></p>",
            "icon": {"type": "Image", "url": remote.url("media/club.png")},
            "image": {"type": "Image", "url": remote.url("media/club-banner.png")},
            "memberCount": 7,
            "inbox": format!("{id}/inbox"),
            "endpoints": {"sharedInbox": remote.url("inbox")},
            "url": remote.url("@club"),
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": ALICE_PUB},
        }),
    );
    webfinger(remote, &id);
    id
}

pub(crate) fn host(remote: &Remote) -> &str {
    remote.base.trim_start_matches("http://")
}

/// The field and message of the first error of a problem.
fn first_error(problem: &Value) -> (String, String) {
    let error = &problem["errors"][0];
    (
        error["field"].as_str().unwrap_or_default().to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_moderator_invites_a_person_elsewhere_by_handle_and_a_local_one_however_written() {
    for scratch in test_urls("inbox_invite_by_handle").await {
        let local = Local::start(&scratch).await;
        let ana = someone(&local, "ana").await;
        someone(&local, "bob").await;
        let (status, group) = api(
            &local,
            "POST",
            "/api/v1/groups",
            &ana,
            Some(json!({"handle": "gardeners", "display_name": "Gardeners"})),
        )
        .await;
        assert_eq!(status, 201, "{group}");
        let invite = |who: String| {
            let (local, ana) = (&local, &ana);
            async move {
                api(
                    local,
                    "POST",
                    "/api/v1/groups/gardeners/invitations",
                    ana,
                    Some(json!({ "username": who })),
                )
                .await
            }
        };

        // A person elsewhere, by handle: found by WebFinger, invited by its actor's id.
        let people = Remote::start().await;
        let alice = people.person("alice", ALICE_PUB);
        webfinger(&people, &alice);
        let (status, invited) = invite(format!("@alice@{}", host(&people))).await;
        assert_eq!(status, 201, "{}: {invited}", local.label);
        assert_eq!(invited["member"], alice.as_str(), "{invited}");
        assert_eq!(invited["role"], "invited", "{invited}");

        // Bob here, by his handle on this instance: the local profile.
        let here = local.base.trim_start_matches("http://");
        let (status, invited) = invite(format!("@bob@{here}")).await;
        assert_eq!(status, 201, "{invited}");
        assert_eq!(invited["profile"], "bob", "{invited}");

        // Names that lead to no person: refused on the field with the reason, nothing written.
        let groups = Remote::start().await;
        club(&groups);
        let empty = Remote::start().await;
        empty.serve(".well-known/webfinger", json!({"links": []}));
        let (_, before) = api(
            &local,
            "GET",
            "/api/v1/groups/gardeners/members",
            &ana,
            None,
        )
        .await;
        for (who, says) in [
            (
                "@nobody@127.0.0.1:1".to_string(),
                "does not answer WebFinger",
            ),
            (
                format!("@nobody@{}", host(&empty)),
                "links no ActivityPub actor",
            ),
            (format!("club@{}", host(&groups)), "is a group"),
            ("@carol@elsewhere example".to_string(), "WebFinger"),
        ] {
            let (status, problem) = invite(who.clone()).await;
            assert_eq!(status, 422, "{who}: {problem}");
            let (field, message) = first_error(&problem);
            assert_eq!(field, "username", "{problem}");
            assert!(message.contains(says), "{who}: {message}");
        }
        let (_, after) = api(
            &local,
            "GET",
            "/api/v1/groups/gardeners/members",
            &ana,
            None,
        )
        .await;
        assert_eq!(before, after, "nothing written");
    }
}

/// GETs `path` on `local` without following redirects, in `language`: status, location, body.
pub(crate) async fn page(local: &Local, path: &str, language: &str) -> (u16, String, String) {
    browse(local, path, language, None, None).await
}

/// [`page`] as the account of session `token` when given, posting `form` to its action when
/// given (with the page's CSRF token).
async fn browse(
    local: &Local,
    path: &str,
    language: &str,
    token: Option<&str>,
    form: Option<(&str, &[(&str, &str)])>,
) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    // The CSRF cookie is the visitor's secret; forms carry it masked.
    let cookies = format!(
        "convene_lang={language}; convene_session={}; convene_csrf=handles-csrf-secret-0123456789ab",
        token.unwrap_or_default()
    );
    let request = match form {
        None => client.get(format!("{}{path}", local.base)),
        Some((action, fields)) => {
            let (_, _, body) = Box::pin(browse(local, path, language, token, None)).await;
            let csrf = body
                .split("name=\"_csrf\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("a form on {path}: {body}"))
                .to_string();
            let mut all = vec![("_csrf", csrf.as_str())];
            all.extend_from_slice(fields);
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(all)
                .finish();
            client
                .post(format!("{}{action}", local.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded)
        }
    };
    let response = request
        .header("cookie", cookies)
        .send()
        .await
        .expect("the instance answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn another_instances_group_has_a_page_here_that_a_handle_searched_leads_to() {
    for scratch in test_urls("inbox_remote_group_page").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let club = club(&remote);
        let handle = format!("club@{}", host(&remote));

        // The search box, given the handle, leads to the group's page here.
        let (status, location, _) = page(&local, &format!("/search?q=%40{handle}"), "en").await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("/@{handle}").as_str())
        );

        // A handle on this instance is the local name.
        let here = local.base.trim_start_matches("http://");
        for path in [
            format!("/search?q=%40club%40{here}"),
            format!("/@club@{here}"),
        ] {
            let (status, location, _) = page(&local, &path, "en").await;
            assert_eq!((status, location.as_str()), (303, "/@club"), "{path}");
        }

        // What the group says of itself, its own page, and nothing sent here yet.
        let (status, _, body) = page(&local, &format!("/@{handle}"), "en").await;
        assert_eq!(status, 200, "{}: {body}", local.label);
        assert!(body.contains("Climbing club"), "{body}");
        assert!(body.contains("We <b>climb</b>"), "{body}");
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(body.contains("Members: 7"), "{body}");
        assert!(body.contains(&remote.url("media/club.png")), "{body}");
        let banner = format!(
            "<img class=\"picture banner\" src=\"{}\"",
            remote.url("media/club-banner.png")
        );
        assert!(body.contains(&banner), "{body}");
        // Its instance's media rejected here: the page goes on without its avatar and banner.
        decide_on_domain(&local, host(&remote), DomainAction::RejectMedia).await;
        let (_, _, without) = page(&local, &format!("/@{handle}"), "en").await;
        assert!(
            !without.contains(&remote.url("media/club.png")),
            "{without}"
        );
        assert!(!without.contains("club-banner.png"), "{without}");
        assert!(without.contains("Climbing club"), "{without}");
        decide_on_domain(&local, host(&remote), DomainAction::AcceptMedia).await;
        assert!(
            body.contains(&format!("href=\"{}\"", remote.url("@club"))),
            "{body}"
        );
        assert!(
            body.contains(&format!("View on {}", host(&remote))),
            "{body}"
        );
        assert!(
            body.contains("Log in to follow or join this group."),
            "{body}"
        );
        assert!(body.contains("No upcoming event"), "{body}");

        // The public event the group sends here is on its page, in French too.
        let create = activity("Create", &club, 1, event(&club, 1, "Bouldering night"));
        let (key_id, key) = (format!("{club}#main-key"), ALICE_KEY);
        let signing = Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let (status, said) = post(&local, "/inbox", &bytes(&create), signing, now()).await;
        assert_eq!(status, 202, "{said}");
        let (status, _, body) = page(&local, &format!("/@{handle}"), "fr").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Bouldering night"), "{body}");
        assert!(
            body.contains(&format!("Voir sur {}", host(&remote))),
            "{body}"
        );
        assert!(body.contains("Membres : 7"), "{body}");

        // A person is no group; a handle that leads nowhere is said so.
        let alice = remote.person("alice", ALICE_PUB);
        webfinger(&remote, &alice);
        let (status, _, body) =
            page(&local, &format!("/search?q=alice@{}", host(&remote)), "en").await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("is a Person, not a group"), "{body}");
        let (status, _, body) = page(&local, "/@club@127.0.0.1:1", "en").await;
        assert_eq!(status, 404, "{body}");
        assert!(body.contains("does not answer WebFinger"), "{body}");
    }
}

#[tokio::test]
async fn a_profile_follows_a_group_elsewhere_from_its_page_pending_until_it_accepts() {
    for scratch in test_urls("inbox_remote_group_follow").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let club = club(&remote);
        let ana = someone(&local, "ana").await;
        let path = format!("/@club@{}", host(&remote));
        let follow = format!("{path}/follow");
        let (status, _, body) = browse(&local, &path, "en", Some(&ana), None).await;
        assert_eq!(status, 200, "{}: {body}", local.label);
        assert!(body.contains(">Follow</button>"), "{body}");

        // The Follow goes to the group, which has not answered: asked, and withdrawable.
        let fields: &[(&str, &str)] = &[("profile", "ana")];
        let (status, location, body) =
            browse(&local, &path, "en", Some(&ana), Some((&follow, fields))).await;
        assert_eq!((status, location.as_str()), (303, path.as_str()), "{body}");
        let following = convene_projections::follows::following_of(local.db.pool(), "ana")
            .await
            .expect("the read model");
        assert_eq!(following.len(), 1, "{following:?}");
        assert_eq!(following[0].target, club);
        let (_, _, body) = browse(&local, &path, "en", Some(&ana), None).await;
        assert!(body.contains("awaits its answer"), "{body}");
        assert!(body.contains(">Withdraw the request</button>"), "{body}");
        let (_, _, body) = browse(&local, &path, "fr", Some(&ana), None).await;
        assert!(body.contains("attend sa réponse"), "{body}");

        // Withdrawn: nothing followed, Follow offered again.
        let fields: &[(&str, &str)] = &[("profile", "ana"), ("unfollow", "1")];
        let (status, _, body) =
            browse(&local, &path, "en", Some(&ana), Some((&follow, fields))).await;
        assert_eq!(status, 303, "{body}");
        let following = convene_projections::follows::following_of(local.db.pool(), "ana")
            .await
            .expect("the read model");
        assert!(following.is_empty(), "{following:?}");
        let (_, _, body) = browse(&local, &path, "en", Some(&ana), None).await;
        assert!(body.contains(">Follow</button>"), "{body}");
    }
}

#[tokio::test]
async fn visitors_without_an_account_look_groups_up_elsewhere_a_few_times_a_minute() {
    for scratch in test_urls("inbox_remote_group_lookups").await {
        let limits = convene_api::throttle::Limits::default();
        let local = Local::start_limited(&scratch, limits).await;
        let remote = Remote::start().await;
        club(&remote);
        let ana = someone(&local, "ana").await;
        let path = format!("/@club@{}", host(&remote));
        for lookup in 0..limits.per_ip_per_minute {
            let (status, _, body) = page(&local, &path, "en").await;
            assert_eq!(status, 200, "lookup {lookup}: {body}");
        }
        // Each lookup has this instance ask another: past the limit, strangers wait.
        let (status, _, body) = page(&local, &path, "en").await;
        assert_eq!(status, 429, "{}: {body}", local.label);
        let (status, _, body) = page(
            &local,
            &format!("/search?q=%40club%40{}", host(&remote)),
            "en",
        )
        .await;
        assert_eq!(status, 429, "{body}");
        // Someone signed in is not limited by the strangers of the same address.
        let (status, _, body) = browse(&local, &path, "en", Some(&ana), None).await;
        assert_eq!(status, 200, "{body}");
    }
}
