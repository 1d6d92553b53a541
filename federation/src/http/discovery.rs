//! WebFinger, host-meta, NodeInfo and the OStatus subscribe page.

use super::{internal, problem, Federation};
use crate::discovery::webfinger::{Refusal, Resource};
use crate::discovery::{host_meta, nodeinfo, webfinger};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use convene_domain::instance::Registrations;
use serde::Deserialize;
use serde_json::Value;

const JRD: &str = "application/jrd+json";

#[derive(Deserialize)]
pub struct WebFingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=…`.
pub async fn webfinger(
    State(federation): State<Federation>,
    Query(query): Query<WebFingerQuery>,
) -> Response {
    let found = webfinger::resource(
        query.resource.as_deref(),
        &federation.public_url,
        &federation.host,
    );
    let response = match found {
        Err(Refusal::Malformed(reason)) => problem(StatusCode::BAD_REQUEST, &reason),
        Err(Refusal::NotHere(reason)) => problem(StatusCode::NOT_FOUND, &reason),
        Ok(Resource::Instance) => json(
            JRD,
            &webfinger::instance(&federation.public_url, &federation.host),
        ),
        Ok(Resource::Name(name)) => {
            match convene_projections::profiles::find_public(federation.db.pool(), &name).await {
                Ok(Some(profile)) => json(
                    JRD,
                    &webfinger::person(&federation.public_url, &federation.host, &profile.username),
                ),
                Ok(None) => match convene_projections::groups::find(federation.db.pool(), &name)
                    .await
                {
                    Ok(Some(group)) => json(
                        JRD,
                        &webfinger::person(&federation.public_url, &federation.host, &group.handle),
                    ),
                    Ok(None) => problem(
                        StatusCode::NOT_FOUND,
                        &format!("there is no profile or group @{name} here"),
                    ),
                    Err(e) => internal("the group", &e),
                },
                Err(e) => internal("the profile", &e),
            }
        }
    };
    cors(response)
}

/// `GET /.well-known/host-meta`.
pub async fn host_meta(State(federation): State<Federation>) -> Response {
    cors(
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xrd+xml; charset=utf-8"),
            )],
            host_meta::xrd(&federation.public_url),
        )
            .into_response(),
    )
}

/// `GET /.well-known/host-meta.json`.
pub async fn host_meta_json(State(federation): State<Federation>) -> Response {
    cors(json(JRD, &host_meta::jrd(&federation.public_url)))
}

/// `GET /.well-known/nodeinfo`.
pub async fn nodeinfo_links(State(federation): State<Federation>) -> Response {
    cors(json(
        "application/json",
        &nodeinfo::links(&federation.public_url),
    ))
}

/// `GET /nodeinfo/2.0`.
pub async fn nodeinfo_20(state: State<Federation>) -> Response {
    nodeinfo_document(state, nodeinfo::Version::V20).await
}

/// `GET /nodeinfo/2.1`.
pub async fn nodeinfo_21(state: State<Federation>) -> Response {
    nodeinfo_document(state, nodeinfo::Version::V21).await
}

async fn nodeinfo_document(
    State(federation): State<Federation>,
    version: nodeinfo::Version,
) -> Response {
    let usage = match nodeinfo::usage(&federation.db).await {
        Ok(usage) => usage,
        Err(e) => return internal("the instance's counts", &e),
    };
    // What the administrators saved, over what the configuration said at start.
    let mut instance = federation.instance.clone();
    match convene_projections::instance::settings(federation.db.pool()).await {
        Ok(Some(saved)) => {
            if !saved.name.is_empty() {
                instance.name = saved.name;
            }
            instance.description = saved.description;
            instance.open_registrations = matches!(
                saved.registrations,
                Registrations::Open | Registrations::Approval
            );
        }
        Ok(None) => {}
        Err(e) => return internal("the instance's settings", &e),
    }
    let document = nodeinfo::document(version, &instance, usage);
    let content_type = format!("application/json; profile=\"{}#\"", version.schema());
    cors(json(&content_type, &document))
}

#[derive(Deserialize)]
pub struct InteractQuery {
    uri: Option<String>,
}

/// `GET /interact?uri=…`, the OStatus subscribe template: a local object or actor is shown at
/// once; another instance's is looked up by the search page (`/search?q=…`), which shows its
/// event or group here, where a signed-in profile joins or follows it.
pub async fn interact(
    State(federation): State<Federation>,
    Query(query): Query<InteractQuery>,
) -> Response {
    let Some(uri) = query.uri.filter(|u| !u.trim().is_empty()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "the query needs `uri`: the address of the profile, group or event to follow or join",
        );
    };
    let ours = url::Url::parse(&federation.public_url).ok();
    match (url::Url::parse(uri.trim()), ours) {
        (Ok(url), Some(ours)) if url.origin() == ours.origin() => {
            Redirect::to(url.as_str()).into_response()
        }
        // Another instance's event or group: the search box looks it up and shows it here.
        (Ok(url), _) => Redirect::to(&format!(
            "/search?q={}",
            url::form_urlencoded::byte_serialize(url.as_str().as_bytes()).collect::<String>()
        ))
        .into_response(),
        (Err(e), _) => problem(
            StatusCode::BAD_REQUEST,
            &format!("`{uri}` is not a URL: {e}"),
        ),
    }
}

fn json(content_type: &str, document: &Value) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/json"));
    ([(header::CONTENT_TYPE, content_type)], document.to_string()).into_response()
}

/// Discovery documents are public and read by browser clients on other origins.
fn cors(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
