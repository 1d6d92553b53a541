//! Addok's search (`/search/`, France's national address base): GeoJSON features with a
//! ready label. Addok knows only French addresses, so its places are in France.

use super::{encode, Place};
use serde::Deserialize;

pub(super) fn search_url(base: &str, text: &str, limit: usize) -> String {
    format!("{base}/search/?q={}&limit={limit}", encode(text))
}

#[derive(Deserialize)]
struct Properties {
    label: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    housenumber: Option<String>,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    /// "69, Rhône, Auvergne-Rhône-Alpes": department number, department, region.
    context: Option<String>,
}

pub(super) fn parse(body: &[u8]) -> Result<Vec<Place>, serde_json::Error> {
    Ok(super::features::<Properties>(body)?
        .into_iter()
        .map(|(p, longitude, latitude)| {
            let street = match p.kind.as_deref() {
                Some("housenumber") => super::street(p.housenumber, p.street.clone()),
                Some("street") => p.street.clone().or(p.name.clone()),
                _ => None,
            };
            let name = match p.kind.as_deref() {
                Some("locality") => p.name,
                _ => None,
            };
            Place {
                label: String::new(),
                name,
                street,
                postal_code: p.postcode,
                locality: p.city,
                region: p
                    .context
                    .and_then(|c| c.rsplit(", ").next().map(str::to_string)),
                country: Some("France".into()),
                latitude,
                longitude,
            }
            .labelled(p.label)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer of Addok (the BAN's) to `/search/?q=10 rue jangot lyon`.
    const ANSWER: &str = r#"{"type":"FeatureCollection","version":"draft","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[4.842569,45.751718]},"properties":{"label":"10 Rue Jangot 69007 Lyon","score":0.9742863636363636,"housenumber":"10","id":"69387_3650_00010","name":"10 Rue Jangot","postcode":"69007","citycode":"69387","x":843231.7,"y":6518170.56,"city":"Lyon","district":"Lyon 7e Arrondissement","context":"69, Rhône, Auvergne-Rhône-Alpes","type":"housenumber","importance":0.71715,"street":"Rue Jangot"}},{"type":"Feature","geometry":{"type":"Point","coordinates":[4.835659,45.758]},"properties":{"label":"Lyon","score":0.96,"id":"69123","type":"municipality","name":"Lyon","postcode":"69001","citycode":"69123","x":842575.7,"y":6519924.3,"population":522250,"city":"Lyon","context":"69, Rhône, Auvergne-Rhône-Alpes","importance":0.6,"municipality":"Lyon"}}],"attribution":"BAN","licence":"ETALAB-2.0","query":"10 rue jangot lyon","limit":5}"#;

    #[test]
    fn reads_addok_features() {
        let places = parse(ANSWER.as_bytes()).expect("places");
        let house = &places[0];
        assert_eq!(house.label, "10 Rue Jangot 69007 Lyon");
        assert_eq!(house.street.as_deref(), Some("10 Rue Jangot"));
        assert_eq!(house.postal_code.as_deref(), Some("69007"));
        assert_eq!(house.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
        assert_eq!(house.country.as_deref(), Some("France"));
        assert_eq!((house.latitude, house.longitude), (45.751718, 4.842569));
        let city = &places[1];
        assert_eq!(
            (city.street.as_deref(), city.locality.as_deref()),
            (None, Some("Lyon"))
        );
    }

    #[test]
    fn asks_the_search_route() {
        assert_eq!(
            search_url("http://a.example", "rue Jangot", 10),
            "http://a.example/search/?q=rue%20Jangot&limit=10"
        );
    }
}
