//! Places by name: from the geocoder the instance configures, else from the places public
//! events and groups here already give (their localities and coordinates). The search pages
//! resolve "near Lyon" through it, and the event form fills an address from it.

mod addok;
pub mod geocoder;
mod nominatim;
mod photon;

pub use geocoder::{Geocoder, GeocoderConfig, GeocoderError, HttpGeocoder, Service};

use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::FieldError;
use convene_search::text::normalise;
use serde::{Deserialize, Serialize};

/// Longest place name looked up, in characters.
pub const Q_MAX: usize = 200;
/// Places answered at most.
pub const LIMIT: usize = 10;

/// A place found: its address as far as known, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(Default))]
#[derive(utoipa::ToSchema)]
pub struct Place {
    /// How the place is shown: "Lyon, France", "10 Rue Jangot, 69007 Lyon, France".
    pub label: String,
    /// The venue's or the place's own name, when it has one besides its address.
    pub name: Option<String>,
    /// Number and street.
    pub street: Option<String>,
    pub postal_code: Option<String>,
    /// The city, town or village.
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
}

impl Place {
    /// The place with `label`, or one made of its parts when the service gave none.
    fn labelled(mut self, label: Option<String>) -> Self {
        self.label = match label.filter(|l| !l.trim().is_empty()) {
            Some(label) => label,
            None => {
                let town = [self.postal_code.as_deref(), self.locality.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                // A region tells two towns of one name apart; an address has its street.
                let region = self.street.is_none().then_some(self.region.as_deref());
                [
                    self.name.as_deref(),
                    self.street.as_deref(),
                    Some(town.as_str()),
                ]
                .into_iter()
                .chain(region)
                .chain([self.country.as_deref()])
                .flatten()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
            }
        };
        self
    }
}

/// Where the places answered come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The geocoder the instance configures.
    Geocoder,
    /// The localities of public events and groups here.
    Known,
}

/// The places matching a name, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Places {
    pub source: Source,
    pub places: Vec<Place>,
}

/// A GeoJSON feature collection, as the three geocoders answer, with each service's properties.
#[derive(Deserialize)]
struct Collection<P> {
    features: Vec<Feature<P>>,
}

#[derive(Deserialize)]
struct Feature<P> {
    geometry: Point,
    properties: P,
}

/// The features of a GeoJSON collection with their longitude and latitude, those without a
/// point on the globe left out.
fn features<P: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<Vec<(P, f64, f64)>, serde_json::Error> {
    let collection: Collection<P> = serde_json::from_slice(body)?;
    Ok(collection
        .features
        .into_iter()
        .filter_map(|f| {
            let (longitude, latitude) = f.geometry.lon_lat()?;
            Some((f.properties, longitude, latitude))
        })
        .collect())
}

/// A GeoJSON point: `[longitude, latitude]`.
#[derive(Deserialize)]
struct Point {
    coordinates: Vec<f64>,
}

impl Point {
    /// Longitude and latitude, when both are there and on the globe.
    fn lon_lat(&self) -> Option<(f64, f64)> {
        match self.coordinates[..] {
            [lon, lat, ..] if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => {
                Some((lon, lat))
            }
            _ => None,
        }
    }
}

/// "10 Rue Jangot" from its number and street.
fn street(number: Option<String>, street: Option<String>) -> Option<String> {
    match (number, street) {
        (Some(number), Some(street)) => Some(format!("{number} {street}")),
        (_, street) => street,
    }
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Lower case, without accents: how names are compared.
fn fold(text: &str) -> String {
    normalise(text.trim())
}

/// Reads the name to look up, or says what is wrong with it (the field is `field`).
pub fn read_name(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    let message = if text.is_empty() {
        "give a place's name or address to look up"
    } else if text.chars().count() > Q_MAX {
        "a place's name or address has at most 200 characters"
    } else if text.chars().any(char::is_control) {
        "a place's name or address has no control characters"
    } else {
        return Ok(text.to_string());
    };
    Err(Error::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }]))
}

/// Places matching `text` (already read by [`read_name`]): the geocoder's when the instance has
/// one, else the localities known here. A geocoder that does not answer in time is
/// [`Error::Unavailable`].
pub async fn find(state: &AppState, text: &str, language: &str) -> Result<Places> {
    match &state.geocoder {
        Some(geocoder) => match geocoder.search(text, language, LIMIT).await {
            Ok(places) => Ok(Places {
                source: Source::Geocoder,
                places,
            }),
            Err(GeocoderError::Unavailable(_)) => Err(Error::Unavailable(
                "the place search does not answer for a moment: try again, or give coordinates (48.85,2.35)"
                    .into(),
            )),
        },
        None => Ok(Places {
            source: Source::Known,
            places: known(state, text).await?,
        }),
    }
}

/// Localities of public events and groups here whose name is `text` (accents and case aside),
/// or begins with it: exact names first, then the most used.
async fn known(state: &AppState, text: &str) -> Result<Vec<Place>> {
    let wanted = fold(text);
    let known = state
        .known_places
        .get(&state.db)
        .await
        .map_err(Error::internal)?;
    let mut found: Vec<(bool, Place)> = known
        .iter()
        .filter_map(|known| {
            let name = fold(&known.locality);
            let with_country = match &known.country {
                Some(country) => format!("{name}, {}", fold(country)),
                None => name.clone(),
            };
            let exact = name == wanted || with_country == wanted;
            (exact || name.starts_with(&wanted) || with_country.starts_with(&wanted)).then(|| {
                let place = Place {
                    label: String::new(),
                    name: None,
                    street: None,
                    postal_code: None,
                    locality: Some(known.locality.clone()),
                    region: None,
                    country: known.country.clone(),
                    latitude: known.latitude,
                    longitude: known.longitude,
                };
                (exact, place.labelled(None))
            })
        })
        .collect();
    // Stable: among exact names, and among the others, the most used stay first.
    found.sort_by_key(|(exact, _)| !exact);
    Ok(found.into_iter().take(LIMIT).map(|(_, p)| p).collect())
}

/// The IANA time zone at a point, from a bundled map of the zones' borders (no network).
pub fn time_zone_at(latitude: f64, longitude: f64) -> Option<String> {
    use std::sync::OnceLock;
    static FINDER: OnceLock<tzf_rs::DefaultFinder> = OnceLock::new();
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let finder = FINDER.get_or_init(tzf_rs::DefaultFinder::new);
    let zone = finder.get_tz_name(longitude, latitude);
    (!zone.is_empty()).then(|| zone.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_made_of_the_parts_known() {
        let city = Place {
            locality: Some("Lyon".into()),
            country: Some("France".into()),
            ..Place::default()
        }
        .labelled(None);
        assert_eq!(city.label, "Lyon, France");
        let given = city.clone().labelled(Some("Lyon (69)".into()));
        assert_eq!(given.label, "Lyon (69)");
        let blank = city.labelled(Some("  ".into()));
        assert_eq!(blank.label, "Lyon, France");
    }

    #[test]
    fn names_are_read_or_refused_on_their_field() {
        assert_eq!(read_name("q", " Lyon ").expect("a name"), "Lyon");
        for bad in ["", "  ", &"x".repeat(201), "Ly\u{7}on"] {
            match read_name("near", bad) {
                Err(Error::Invalid(errors)) => assert_eq!(errors[0].field, "near"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn zones_come_from_the_bundled_map() {
        assert_eq!(
            time_zone_at(45.7578, 4.8320).as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(
            time_zone_at(40.7128, -74.0060).as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            time_zone_at(-33.8688, 151.2093).as_deref(),
            Some("Australia/Sydney")
        );
        assert_eq!(time_zone_at(91.0, 0.0), None);
    }
}
