//! Nominatim's search, in its GeocodeJSON format (as Mobilizon asks it): a GeoJSON feature
//! collection whose features carry their address under `properties.geocoding`.

use super::{encode, Place};
use serde::Deserialize;

pub(super) fn search_url(base: &str, text: &str, language: &str, limit: usize) -> String {
    format!(
        "{base}/search?format=geocodejson&q={}&limit={limit}&accept-language={}&addressdetails=1",
        encode(text),
        encode(language)
    )
}

#[derive(Deserialize)]
struct Properties {
    geocoding: Geocoding,
}

#[derive(Deserialize)]
struct Geocoding {
    label: Option<String>,
    name: Option<String>,
    housenumber: Option<String>,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    town: Option<String>,
    village: Option<String>,
    county: Option<String>,
    state: Option<String>,
    country: Option<String>,
}

pub(super) fn parse(body: &[u8]) -> Result<Vec<Place>, serde_json::Error> {
    Ok(super::features::<Properties>(body)?
        .into_iter()
        .map(|(properties, longitude, latitude)| {
            let g = properties.geocoding;
            let street = super::street(g.housenumber, g.street);
            Place {
                label: String::new(),
                // A place's own name, not its street repeated.
                name: g.name.filter(|n| Some(n) != street.as_ref()),
                street,
                postal_code: g.postcode,
                locality: g.city.or(g.town).or(g.village).or(g.county),
                region: g.state,
                country: g.country,
                latitude,
                longitude,
            }
            .labelled(g.label)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer of Nominatim 4 to `/search?format=geocodejson&q=10 rue jangot lyon`.
    const ANSWER: &str = r#"{"type":"FeatureCollection","geocoding":{"version":"0.1.0","attribution":"Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright","licence":"ODbL","query":"10 rue jangot lyon"},"features":[{"type":"Feature","properties":{"geocoding":{"place_id":102447316,"osm_type":"node","osm_id":3078260611,"osm_key":"place","osm_value":"house","type":"house","label":"10, Rue Jangot, La Guillotière, Lyon 7e Arrondissement, Lyon, Métropole de Lyon, Rhône, Auvergne-Rhône-Alpes, France métropolitaine, 69007, France","housenumber":"10","postcode":"69007","street":"Rue Jangot","district":"La Guillotière","city":"Lyon","county":"Métropole de Lyon","state":"Auvergne-Rhône-Alpes","country":"France","country_code":"fr","admin":{"level2":"France","level4":"Auvergne-Rhône-Alpes","level6":"Métropole de Lyon","level8":"Lyon"}}},"geometry":{"type":"Point","coordinates":[4.8425657,45.7775264]}},{"type":"Feature","properties":{"geocoding":{"place_id":1,"osm_type":"relation","osm_id":120965,"osm_key":"boundary","osm_value":"administrative","type":"city","label":"Lyon, Métropole de Lyon, Rhône, Auvergne-Rhône-Alpes, France métropolitaine, France","name":"Lyon","county":"Métropole de Lyon","state":"Auvergne-Rhône-Alpes","country":"France","country_code":"fr"}},"geometry":{"type":"Point","coordinates":[4.8320114,45.7578137]}}]}"#;

    #[test]
    fn reads_geocodejson() {
        let places = parse(ANSWER.as_bytes()).expect("places");
        assert_eq!(places.len(), 2);
        let house = &places[0];
        assert_eq!(house.street.as_deref(), Some("10 Rue Jangot"));
        assert_eq!(house.postal_code.as_deref(), Some("69007"));
        assert_eq!(house.locality.as_deref(), Some("Lyon"));
        assert_eq!(house.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
        assert_eq!(house.country.as_deref(), Some("France"));
        assert_eq!((house.latitude, house.longitude), (45.7775264, 4.8425657));
        assert!(house.label.starts_with("10, Rue Jangot, La Guillotière"));
        // A city: its name, and the county standing for the locality it has not.
        let city = &places[1];
        assert_eq!(city.name.as_deref(), Some("Lyon"));
        assert_eq!(city.locality.as_deref(), Some("Métropole de Lyon"));
        assert_eq!(city.street, None);
    }

    #[test]
    fn asks_for_geocodejson_with_addresses() {
        assert_eq!(
            search_url("https://n.example", "10 rue Jangot", "fr", 5),
            "https://n.example/search?format=geocodejson&q=10%20rue%20Jangot&limit=5&accept-language=fr&addressdetails=1"
        );
    }

    #[test]
    fn a_feature_without_a_point_is_left_out_and_other_json_refused() {
        let odd = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"geocoding":{"label":"Nowhere"}},"geometry":{"type":"Point","coordinates":[]}}]}"#;
        assert_eq!(parse(odd.as_bytes()).expect("read").len(), 0);
        assert!(parse(b"[{\"lat\":\"45.7\"}]").is_err());
        assert!(parse(b"<html>").is_err());
    }
}
