//! Printing measured quantities so they read at a glance: the same style in every exercise.

/// `s` seconds with three significant digits, in the unit (s, ms, µs or ns) that puts 1 to 999
/// before the point.
///
/// Three digits because a measurement on a shared machine is rarely better than that, and a
/// fixed unit would print either `0.000028 s` or `28000 ns` somewhere in the same table.
///
/// ```
/// use support::units::seconds;
/// assert_eq!(seconds(0.000_027_73), "27.7 µs");
/// assert_eq!(seconds(0.004_213), "4.21 ms");
/// assert_eq!(seconds(0.3), "300 ms");
/// assert_eq!(seconds(0.000_000_412), "412 ns");
/// assert_eq!(seconds(1.5), "1.50 s");
/// ```
pub fn seconds(s: f64) -> String {
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    format!("{} {unit}", significant(value))
}

/// `x` with three significant digits, for values from 1 to 1000: `1.23`, `12.3`, `123`.
/// A value that rounds up to the next width (`9.996`) takes that width's format (`10.0`), so no
/// digit is ever hidden and none invented.
///
/// ```
/// use support::units::significant;
/// assert_eq!(significant(2.104), "2.10");
/// assert_eq!(significant(10.55), "10.6");
/// assert_eq!(significant(151.9), "152");
/// ```
pub fn significant(x: f64) -> String {
    if x >= 99.95 {
        format!("{x:.0}")
    } else if x >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_switch_at_each_thousand() {
        assert_eq!(seconds(0.999e-6), "999 ns");
        assert_eq!(seconds(1e-6), "1.00 µs");
        assert_eq!(seconds(0.000_999_4), "999 µs");
        assert_eq!(seconds(0.001), "1.00 ms");
        assert_eq!(seconds(12.0), "12.0 s");
        assert_eq!(seconds(0.0), "0.00 ns");
    }

    #[test]
    fn a_value_at_the_edge_of_a_width_takes_the_wider_format() {
        assert_eq!(significant(9.994), "9.99");
        assert_eq!(significant(9.996), "10.0");
        assert_eq!(significant(99.96), "100");
        assert_eq!(significant(999.7), "1000");
    }
}
