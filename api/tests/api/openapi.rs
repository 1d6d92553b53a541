//! The OpenAPI document lists every route, and every route it lists is served.

use crate::servers;
use serde_json::Value;

/// The routes the API promises (method, path).
const PROMISED: &[(&str, &str)] = &[
    ("post", "/api/v1/pictures"),
    ("post", "/api/v1/events/{id}/picture"),
    ("put", "/api/v1/events/{id}/picture"),
    ("delete", "/api/v1/events/{id}/picture"),
    ("post", "/api/v1/profiles/{username}/avatar"),
    ("delete", "/api/v1/profiles/{username}/avatar"),
    ("post", "/api/v1/groups/{handle}/avatar"),
    ("delete", "/api/v1/groups/{handle}/avatar"),
    ("post", "/api/v1/groups/{handle}/banner"),
    ("delete", "/api/v1/groups/{handle}/banner"),
    ("post", "/api/v1/accounts"),
    ("post", "/api/v1/accounts/confirm"),
    ("get", "/api/v1/accounts/confirm"),
    ("post", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions/current"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/me/email"),
    ("post", "/api/v1/accounts/email-change/confirm"),
    ("put", "/api/v1/me/default-profile"),
    ("post", "/api/v1/password-resets"),
    ("post", "/api/v1/password-resets/complete"),
    ("post", "/api/v1/admin/accounts/{id}/role"),
    ("post", "/api/v1/admin/accounts/{id}/disable"),
    ("post", "/api/v1/profiles"),
    ("get", "/api/v1/profiles/{username}"),
    ("patch", "/api/v1/profiles/{username}"),
    ("post", "/api/v1/events"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/events/{id}"),
    ("patch", "/api/v1/events/{id}"),
    ("delete", "/api/v1/events/{id}"),
    ("post", "/api/v1/events/{id}/publish"),
    ("post", "/api/v1/events/{id}/cancel"),
    ("get", "/api/v1/events/{id}/history"),
    ("post", "/api/v1/events/{id}/participations"),
    ("get", "/api/v1/events/{id}/participations"),
    ("delete", "/api/v1/events/{id}/participations/mine"),
    ("post", "/api/v1/events/{id}/participations/{pid}/approve"),
    ("post", "/api/v1/events/{id}/participations/{pid}/reject"),
    ("put", "/api/v1/events/{id}/participations/{pid}/role"),
    ("post", "/api/v1/events/{id}/anonymous-participations"),
    ("post", "/api/v1/anonymous-participations/confirm"),
    ("get", "/api/v1/anonymous-participations/confirm"),
    ("post", "/api/v1/anonymous-participations/cancel"),
    ("get", "/api/v1/anonymous-participations/cancel"),
    ("get", "/api/v1/events/{id}/comments"),
    ("post", "/api/v1/events/{id}/comments"),
    ("patch", "/api/v1/comments/{id}"),
    ("delete", "/api/v1/comments/{id}"),
    ("post", "/api/v1/groups"),
    ("get", "/api/v1/groups"),
    ("get", "/api/v1/groups/{handle}"),
    ("patch", "/api/v1/groups/{handle}"),
    ("post", "/api/v1/groups/{handle}/members"),
    ("get", "/api/v1/groups/{handle}/members"),
    ("delete", "/api/v1/groups/{handle}/members/mine"),
    ("post", "/api/v1/groups/{handle}/invitations"),
    ("post", "/api/v1/groups/{handle}/invitations/mine/accept"),
    ("post", "/api/v1/groups/{handle}/invitations/mine/decline"),
    ("post", "/api/v1/groups/{handle}/members/{username}/approve"),
    ("post", "/api/v1/groups/{handle}/members/{username}/reject"),
    ("put", "/api/v1/groups/{handle}/members/{username}/role"),
    ("post", "/api/v1/groups/{handle}/members/{username}/remove"),
    ("post", "/api/v1/groups/{handle}/followers"),
    ("get", "/api/v1/groups/{handle}/followers"),
    ("delete", "/api/v1/groups/{handle}/followers/mine"),
    (
        "post",
        "/api/v1/groups/{handle}/followers/{username}/approve",
    ),
    (
        "post",
        "/api/v1/groups/{handle}/followers/{username}/reject",
    ),
    ("get", "/api/v1/me/groups"),
    ("post", "/api/v1/groups/{handle}/events"),
    ("get", "/api/v1/groups/{handle}/events"),
    ("put", "/api/v1/groups/{handle}/events/{id}/options"),
    ("get", "/api/v1/groups/{handle}/timeline"),
    ("post", "/api/v1/groups/{handle}/posts"),
    ("get", "/api/v1/groups/{handle}/posts"),
    ("get", "/api/v1/groups/{handle}/posts/{post}"),
    ("put", "/api/v1/groups/{handle}/posts/{post}"),
    ("delete", "/api/v1/groups/{handle}/posts/{post}"),
    ("post", "/api/v1/groups/{handle}/discussions"),
    ("post", "/api/v1/groups/{handle}/todo-lists"),
    ("get", "/api/v1/groups/{handle}/todo-lists"),
    ("post", "/api/v1/groups/{handle}/todo-lists/{list}/todos"),
    ("put", "/api/v1/groups/{handle}/todos/{todo}"),
    ("delete", "/api/v1/groups/{handle}/todos/{todo}"),
    ("delete", "/api/v1/groups/{handle}/todo-lists/{list}"),
    ("post", "/api/v1/groups/{handle}/resources"),
    ("get", "/api/v1/groups/{handle}/resources"),
    ("get", "/api/v1/groups/{handle}/resources/{resource}"),
    ("patch", "/api/v1/groups/{handle}/resources/{resource}"),
    ("delete", "/api/v1/groups/{handle}/resources/{resource}"),
    ("post", "/api/v1/groups/{handle}/resources/{resource}/move"),
    ("get", "/api/v1/groups/{handle}/discussions"),
    ("get", "/api/v1/groups/{handle}/discussions/{discussion}"),
    ("patch", "/api/v1/groups/{handle}/discussions/{discussion}"),
    ("delete", "/api/v1/groups/{handle}/discussions/{discussion}"),
    (
        "post",
        "/api/v1/groups/{handle}/discussions/{discussion}/comments",
    ),
    (
        "delete",
        "/api/v1/groups/{handle}/discussions/{discussion}/comments/{comment}",
    ),
    (
        "put",
        "/api/v1/groups/{handle}/discussions/{discussion}/comments/{comment}",
    ),
    ("get", "/api/v1/search/events"),
    ("get", "/api/v1/search/groups"),
    ("get", "/api/v1/places"),
    ("post", "/api/v1/reports"),
    ("get", "/api/v1/moderation/reports"),
    ("get", "/api/v1/moderation/reports/{id}"),
    ("post", "/api/v1/moderation/reports/{id}/assign"),
    ("post", "/api/v1/moderation/reports/{id}/notes"),
    ("post", "/api/v1/moderation/reports/{id}/resolve"),
    ("post", "/api/v1/moderation/reports/{id}/close"),
    ("get", "/api/v1/moderation/objects/{kind}/{id}"),
    ("post", "/api/v1/moderation/decisions"),
    ("get", "/api/v1/moderation/audit"),
    ("get", "/api/v1/moderation/domains"),
    ("get", "/api/v1/moderation/domains/{domain}"),
    ("get", "/api/v1/instance/domain-decisions"),
    ("post", "/api/v1/moderation/reverts"),
    ("get", "/api/v1/instance"),
    ("get", "/api/v1/instance/transparency"),
    ("get", "/api/v1/admin/settings"),
    ("put", "/api/v1/admin/settings"),
    ("get", "/api/v1/admin/registrations"),
    ("post", "/api/v1/admin/registrations/{account}"),
    ("get", "/api/v1/admin/dashboard"),
    ("get", "/api/v1/admin/accounts"),
    ("get", "/api/v1/admin/instances"),
    ("post", "/api/v1/admin/instances"),
    ("delete", "/api/v1/admin/instances/{instance}"),
    ("get", "/api/v1/admin/deliveries"),
    ("post", "/api/v1/admin/deliveries/{id}/retry"),
];

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    for (_db, server) in servers("openapi").await {
        let doc = server.client().get("/api/v1/openapi.json").await;
        assert_eq!(doc.status, 200);
        let paths = doc.json["paths"].as_object().cloned().unwrap_or_default();
        for (method, path) in PROMISED {
            assert!(
                paths.get(*path).and_then(|p| p.get(*method)).is_some(),
                "{method} {path} is not documented"
            );
        }
        let mut documented = 0;
        for (path, item) in &paths {
            for method in item
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                documented += 1;
                let concrete = path
                    .replace("{id}", "x")
                    .replace("{pid}", "y")
                    .replace("{username}", "z")
                    .replace("{handle}", "h")
                    .replace("{post}", "p")
                    .replace("{discussion}", "d")
                    .replace("{comment}", "c")
                    .replace("{list}", "l")
                    .replace("{todo}", "t")
                    .replace("{resource}", "r")
                    .replace("{domain}", "bad.example")
                    .replace("{account}", "a")
                    .replace("{instance}", "other.example");
                let body = (method != "get" && method != "delete")
                    .then(|| Value::Object(Default::default()));
                let response = server
                    .client()
                    .send(&method.to_uppercase(), &concrete, body)
                    .await;
                assert!(
                    !response.text.contains("nothing is served at") && response.status != 405,
                    "{method} {path} is documented but not served: {} {}",
                    response.status,
                    response.text
                );
            }
        }
        assert_eq!(
            documented,
            PROMISED.len(),
            "no undocumented extra and no missing route"
        );
    }
}

/// The error statuses each operation can answer, from what it takes, as problem+json.
#[test]
fn every_operation_lists_the_errors_it_can_answer_as_problems() {
    let doc = serde_json::to_value(convene_api::http::api().1).unwrap_or_default();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let responses = &operation["responses"];
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let takes = |place: &str| params.iter().any(|p| p["in"] == place);
            let mut expected = Vec::new();
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            if takes("query") {
                expected.push("422");
            }
            if operation.get("security").is_some() {
                expected.extend(["401", "403"]);
            }
            if takes("path") {
                expected.push("404");
            }
            if method != "get" {
                expected.push("409");
            }
            for status in expected {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path} does not list {status}"
                );
            }
            for (status, response) in responses.as_object().into_iter().flatten() {
                if status.starts_with('4') || status.starts_with('5') {
                    let types: Vec<&String> = response["content"]
                        .as_object()
                        .map(|c| c.keys().collect())
                        .unwrap_or_default();
                    assert_eq!(
                        types,
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
            // Query parameters are documented as such, never as parts of the path.
            for param in &params {
                let name = param["name"].as_str().unwrap_or_default();
                if param["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name}"
                    );
                }
            }
        }
    }
    let throttled = &paths["/api/v1/sessions"]["post"]["responses"];
    assert!(throttled.get("429").is_some(), "logins are rate limited");
}
