//! Distances on the sphere. Backends store each place as a point on the unit sphere: a place
//! lies within `r` of the centre exactly when the dot product of the two points is at least
//! `cos(r / R)`, which SQL computes with arithmetic alone (SQLite has no trigonometry).

/// Mean Earth radius, as Meilisearch and most geodesy libraries use.
pub const EARTH_RADIUS_KM: f64 = 6_371.0;

/// A point on the unit sphere.
pub fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The least dot product of a point within `radius_km` of the centre.
pub fn min_dot(radius_km: f64) -> f64 {
    (radius_km / EARTH_RADIUS_KM)
        .min(std::f64::consts::PI)
        .cos()
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// A latitude/longitude box holding every point within `radius_km` of the centre: the cheap
/// prefilter an index can use before the exact check.
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    pub fn around(lat: f64, lon: f64, radius_km: f64) -> Self {
        let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
        let min_lat = (lat - dlat).max(-90.0);
        let max_lat = (lat + dlat).min(90.0);
        // Near a pole (or for a huge radius) every longitude may be in reach.
        let widest = lat.abs() + dlat;
        let (min_lon, max_lon) = if widest >= 89.0 {
            (-180.0, 180.0)
        } else {
            let dlon = dlat / lat.to_radians().cos().max(widest.to_radians().cos());
            if dlon >= 180.0 {
                (-180.0, 180.0)
            } else {
                (lon - dlon, lon + dlon)
            }
        };
        Self {
            min_lat,
            max_lat,
            min_lon,
            max_lon,
        }
    }

    /// The box as longitude ranges within [-180, 180] (two when it crosses the antimeridian).
    pub fn longitude_ranges(&self) -> Vec<(f64, f64)> {
        if self.min_lon < -180.0 {
            vec![(self.min_lon + 360.0, 180.0), (-180.0, self.max_lon)]
        } else if self.max_lon > 180.0 {
            vec![(self.min_lon, 180.0), (-180.0, self.max_lon - 360.0)]
        } else {
            vec![(self.min_lon, self.max_lon)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dot_product_test_agrees_with_haversine() {
        let centre = (48.8566, 2.3522);
        let nine_km_east = (
            48.8566,
            2.3522 + 9.0 / (111.195 * 48.8566_f64.to_radians().cos()),
        );
        let d = distance_km(centre, nine_km_east);
        assert!((8.9..9.1).contains(&d), "{d}");
        let (a, b) = (
            unit_vector(centre.0, centre.1),
            unit_vector(nine_km_east.0, nine_km_east.1),
        );
        let dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        assert!(dot >= min_dot(10.0));
        assert!(dot < min_dot(5.0));
    }

    #[test]
    fn the_box_holds_the_circle() {
        let b = BoundingBox::around(60.0, 179.9, 50.0);
        assert_eq!(b.longitude_ranges().len(), 2);
        let edge = (60.0, 179.9 - 50.0 / (111.195 * 60f64.to_radians().cos()));
        assert!(edge.1 >= b.min_lon);
    }
}
