//! The error statuses every operation can answer, added to the OpenAPI document from what the
//! operation takes, so that no operation forgets one: each handler's annotation names the
//! statuses of its own rules (409 taken, 429 rate limited…), and this adds those of the way
//! requests are read, whichever handler reads them. Every error is problem+json.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

const PROBLEM_JSON: &str = "application/problem+json";

/// Adds to every operation of `doc` the statuses it can answer, and describes every error
/// response as problem+json.
pub fn document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (changes, operation) in operations {
            if let Some(operation) = operation {
                add_statuses(operation, changes);
            }
        }
    }
}

fn add_statuses(operation: &mut Operation, changes: bool) {
    let has = |place: ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place)
    };
    let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut statuses: Vec<(&str, &str)> = Vec::new();
    if body {
        statuses.push(("400", "the body is not valid JSON"));
        statuses.push(("413", "the body is larger than the server accepts"));
        statuses.push(("415", "the body is not JSON"));
    }
    if body || in_query {
        statuses.push((
            "422",
            "a field or parameter is not valid; `errors` names each",
        ));
    }
    if secured {
        statuses.push(("401", "not logged in, or the session has ended"));
        statuses.push(("403", "not allowed to the account or profile acting"));
    }
    if in_path {
        statuses.push(("404", "not found, or not visible to the one asking"));
    }
    if changes {
        statuses.push(("409", "the state does not allow it"));
    }
    for (status, description) in statuses {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem(description)));
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        let error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (error, response) {
            response.content.clear();
            response
                .content
                .insert(PROBLEM_JSON.to_string(), problem_content());
        }
    }
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, problem_content())
        .build()
}

fn problem_content() -> utoipa::openapi::content::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}
