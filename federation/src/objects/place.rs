//! The small objects an event carries: its place, its tags, its links.

use serde::{Deserialize, Serialize};

/// Where an event happens. Latitude and longitude sit on the Place, as Mobilizon writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub address: PostalAddress,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub address_locality: Option<String>,
    pub address_region: Option<String>,
    pub address_country: Option<String>,
}

/// A tag: `name` is `#tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashtag {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub href: String,
}

/// A metadata link (`mz:visio:jitsi_meet`, `mz:ticket:external_url`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "propertyID")]
    pub property_id: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A web link; the one named `Website` is the event's online address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
    pub media_type: String,
    pub name: String,
}
