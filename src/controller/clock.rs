//! The controller's clock: Unix seconds as f64, the unit the core works in.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

pub fn now() -> f64 {
    to_secs(&Time(Timestamp::now()))
}

pub fn to_secs(t: &Time) -> f64 {
    t.0.as_millisecond() as f64 / 1000.0
}

pub fn to_time(secs: f64) -> Time {
    let ms = (secs * 1000.0).round() as i64;
    Time(Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH))
}
