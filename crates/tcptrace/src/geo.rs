//! The geography model: where a database places an address (the recipe's "IDC location" of
//! a backbone router).
//!
//! A leaf module like the AS model: plain data and no I/O. The `asn-lookup` crate reads the
//! databases (ip-location-db tables, MMDB files) and fills [`Reply::geo`](crate::Reply::geo);
//! a program that only traces compiles none of that.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::asn::{CountryCode, plain_text};

/// Where a geolocation database places an address: its country, and where the database
/// has them, the region (state or province), the city and the coordinates.
///
/// Build it with [`Geo::new`] and the setters, which make database text plain (control
/// characters replaced, at most [`Geo::MAX_CHARS`] characters) and refuse coordinates off
/// the globe. In JSON: `{"country": "DE", "region": "Hesse", "city": "Frankfurt am Main",
/// "lat": 50.1169, "lon": 8.6837}`, each field but `country` absent when unknown.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Geo {
    /// The country, as an ISO 3166-1 alpha-2 code.
    pub country: CountryCode,
    /// The region: the state, province or similar first subdivision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The latitude in degrees, -90 to 90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = -90.0, max = 90.0)))]
    pub lat: Option<f64>,
    /// The longitude in degrees, -180 to 180.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = -180.0, max = 180.0)))]
    pub lon: Option<f64>,
}

impl Geo {
    /// The longest region or city name kept, in characters (a longer one ends with `…`).
    pub const MAX_CHARS: usize = 128;

    /// A place known only by its country.
    pub fn new(country: CountryCode) -> Self {
        Self {
            country,
            region: None,
            city: None,
            lat: None,
            lon: None,
        }
    }

    /// Sets the region, made plain; blank text is no region.
    #[must_use]
    pub fn with_region(mut self, region: Option<&str>) -> Self {
        self.region = region.and_then(|r| plain_text(r, Self::MAX_CHARS));
        self
    }

    /// Sets the city, made plain; blank text is no city.
    #[must_use]
    pub fn with_city(mut self, city: Option<&str>) -> Self {
        self.city = city.and_then(|c| plain_text(c, Self::MAX_CHARS));
        self
    }

    /// Sets the coordinates, rounded to 4 decimals (about 11 m: databases store them as
    /// 32-bit floats, whose noise would otherwise show); both are dropped unless both are
    /// finite and on the globe (latitude -90 to 90, longitude -180 to 180).
    #[must_use]
    pub fn with_location(mut self, lat: f64, lon: f64) -> Self {
        let ok = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
        (self.lat, self.lon) = if ok {
            (Some(round(lat)), Some(round(lon)))
        } else {
            (None, None)
        };
        self
    }

    /// `Frankfurt am Main, DE`, or `DE` without a city: what the summary and the map show.
    pub fn short(&self) -> String {
        match &self.city {
            Some(city) => format!("{city}, {}", self.country),
            None => self.country.to_string(),
        }
    }
}

/// Everything known, for details: `Frankfurt am Main, Hesse, DE (50.1169, 8.6837)`.
impl fmt::Display for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in [&self.city, &self.region].into_iter().flatten() {
            write!(f, "{part}, ")?;
        }
        write!(f, "{}", self.country)?;
        if let (Some(lat), Some(lon)) = (self.lat, self.lon) {
            write!(f, " ({lat}, {lon})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> CountryCode {
        CountryCode::new("de").unwrap()
    }

    #[test]
    fn setters_make_text_plain_and_coordinates_sane() {
        let g = Geo::new(de())
            .with_city(Some(" Frank\x1bfurt\u{202e} "))
            .with_region(Some("  "))
            .with_location(50.1, 8.6);
        assert_eq!(g.city.as_deref(), Some("Frank\u{fffd}furt\u{fffd}"));
        assert_eq!(g.region, None);
        assert_eq!((g.lat, g.lon), (Some(50.1), Some(8.6)));
        let off = Geo::new(de()).with_location(91.0, 0.0);
        assert_eq!((off.lat, off.lon), (None, None));
        let nan = Geo::new(de()).with_location(f64::NAN, 0.0);
        assert_eq!((nan.lat, nan.lon), (None, None));
        let long = Geo::new(de()).with_city(Some(&"x".repeat(500)));
        assert_eq!(long.city.unwrap().chars().count(), Geo::MAX_CHARS);
    }

    #[test]
    fn texts_and_json() {
        let g = Geo::new(de())
            .with_city(Some("Frankfurt am Main"))
            .with_region(Some("Hesse"))
            .with_location(50.1169, 8.6837);
        assert_eq!(g.short(), "Frankfurt am Main, DE");
        assert_eq!(
            g.to_string(),
            "Frankfurt am Main, Hesse, DE (50.1169, 8.6837)"
        );
        assert_eq!(Geo::new(de()).short(), "DE");
        let json = serde_json::to_value(&g).unwrap();
        assert_eq!(json["country"], "DE");
        assert_eq!(json["lat"], 50.1169);
        let back: Geo = serde_json::from_value(json).unwrap();
        assert_eq!(back, g);
        let bare = serde_json::to_string(&Geo::new(de())).unwrap();
        assert_eq!(bare, r#"{"country":"DE"}"#);
        assert!(serde_json::from_str::<Geo>(r#"{"country":"D1"}"#).is_err());
        // Namibia is a country here, though registries write NA for "no data".
        let na: Geo = serde_json::from_str(r#"{"country":"NA"}"#).unwrap();
        assert_eq!(na.country.as_str(), "NA");
    }
}
