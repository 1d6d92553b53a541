//! Photon's search (`/api/`): GeoJSON features with the address in their properties.

use super::{encode, Place};
use serde::Deserialize;

/// The languages Photon names places in; any other gets its default.
const LANGUAGES: [&str; 4] = ["en", "de", "fr", "it"];

pub(super) fn search_url(base: &str, text: &str, language: &str, limit: usize) -> String {
    let mut url = format!("{base}/api/?q={}&limit={limit}", encode(text));
    if LANGUAGES.contains(&language) {
        url.push_str(&format!("&lang={language}"));
    }
    url
}

#[derive(Deserialize)]
struct Properties {
    name: Option<String>,
    housenumber: Option<String>,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
}

pub(super) fn parse(body: &[u8]) -> Result<Vec<Place>, serde_json::Error> {
    Ok(super::features::<Properties>(body)?
        .into_iter()
        .map(|(p, longitude, latitude)| {
            // A city found by its name is its own locality.
            let locality = p
                .city
                .or_else(|| p.street.is_none().then(|| p.name.clone()).flatten());
            Place {
                label: String::new(),
                name: p.name.filter(|n| Some(n) != locality.as_ref()),
                street: super::street(p.housenumber, p.street),
                postal_code: p.postcode,
                locality,
                region: p.state,
                country: p.country,
                latitude,
                longitude,
            }
            .labelled(None)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer of Photon to `/api/?q=10 rue jangot lyon`, then one to `/api/?q=lyon`.
    const HOUSE: &str = r#"{"features":[{"geometry":{"coordinates":[4.8425657,45.7775264],"type":"Point"},"type":"Feature","properties":{"osm_id":3078260611,"country":"France","city":"Lyon","countrycode":"FR","postcode":"69007","locality":"La Guillotière","type":"house","osm_type":"N","osm_key":"place","housenumber":"10","street":"Rue Jangot","district":"Lyon 7e Arrondissement","osm_value":"house","state":"Auvergne-Rhône-Alpes"}}],"type":"FeatureCollection"}"#;
    const CITY: &str = r#"{"features":[{"geometry":{"coordinates":[4.8320114,45.7578137],"type":"Point"},"type":"Feature","properties":{"osm_type":"R","osm_id":120965,"extent":[4.7718134,45.8082628,4.8983774,45.7073666],"country":"France","osm_key":"place","countrycode":"FR","osm_value":"city","name":"Lyon","county":"Lyon","state":"Auvergne-Rhône-Alpes","type":"city"}}],"type":"FeatureCollection"}"#;

    #[test]
    fn reads_photon_features() {
        let house = &parse(HOUSE.as_bytes()).expect("places")[0];
        assert_eq!(house.street.as_deref(), Some("10 Rue Jangot"));
        assert_eq!(house.locality.as_deref(), Some("Lyon"));
        assert_eq!(house.label, "10 Rue Jangot, 69007 Lyon, France");
        assert_eq!((house.latitude, house.longitude), (45.7775264, 4.8425657));
        let city = &parse(CITY.as_bytes()).expect("places")[0];
        assert_eq!(city.locality.as_deref(), Some("Lyon"));
        assert_eq!(city.name, None);
        assert_eq!(city.label, "Lyon, Auvergne-Rhône-Alpes, France");
    }

    #[test]
    fn asks_in_a_language_photon_knows() {
        assert_eq!(
            search_url("http://p.example", "Lyon", "fr", 3),
            "http://p.example/api/?q=Lyon&limit=3&lang=fr"
        );
        assert_eq!(
            search_url("http://p.example", "Lyon", "es", 3),
            "http://p.example/api/?q=Lyon&limit=3"
        );
    }
}
