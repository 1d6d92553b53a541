//! `/places`: places by name or address.

use super::problem::Problem;
use crate::places::{self, Places};
use crate::{AppState, Error};
use axum::extract::{RawQuery, State};
use axum::Json;
use convene_domain::FieldError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(find))
}

/// Places matching a name or an address, best first (at most 10): from the geocoder the
/// instance configures (Nominatim, Photon or Addok), else from the localities of the public
/// events and groups here, with the mean of their coordinates. `source` says which.
#[utoipa::path(get, path = "/places", tag = "search",
    params(
        ("q" = String, Query, description = "A place's name or an address (at most 200 characters)"),
        ("lang" = Option<String>, Query, description = "The language to name places in, where the geocoder can (default en)"),
    ),
    responses((status = 200, body = Places), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "The geocoder does not answer in time")))]
async fn find(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Places>, Problem> {
    let mut q = String::new();
    let mut lang = String::from("en");
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "q" => q = value.into_owned(),
            "lang" if is_language(&value) => lang = value.to_ascii_lowercase(),
            "lang" => errors.push(FieldError {
                field: "lang".into(),
                message: "lang is a language code (en, fr)".into(),
            }),
            other => errors.push(FieldError {
                field: other.into(),
                message: format!("`{other}` is not a parameter here: use q and lang"),
            }),
        }
    }
    if let Err(Error::Invalid(mut refused)) = places::read_name("q", &q) {
        refused.append(&mut errors);
        errors = refused;
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors).into());
    }
    Ok(Json(places::find(&state, q.trim(), &lang).await?))
}

fn is_language(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic())
}
