//! How durations are shown to people: like Go's `time.Duration` rounded to seconds,
//! because the old services printed them that way and scripts parse them.

/// `0s`, `28s`, `1m5s`, `2h3m0s`. Rounds half away from zero like Go's `Round`;
/// negative and non-finite inputs show as `0s` (a duration never runs backwards).
pub fn go_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds <= 0.0 {
        return "0s".to_owned();
    }
    // f64 → u64 saturates, so absurdly large inputs cannot wrap.
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn formats_like_go() {
        for (secs, want) in [
            (0.0, "0s"),
            (0.4, "0s"),
            (0.5, "1s"),
            (28.0, "28s"),
            (59.6, "1m0s"),
            (65.0, "1m5s"),
            (3600.0, "1h0m0s"),
            (7380.0, "2h3m0s"),
            (90061.0, "25h1m1s"),
            (-5.0, "0s"),
            (f64::NAN, "0s"),
        ] {
            assert_eq!(go_duration(secs), want, "{secs}");
        }
    }
}
