//! Numbers as the table prints them: sizes, times and rates with their units.
//!
//! Not `support::units::seconds`: that one prints three significant digits (`300 ms`), this
//! table two decimals (`300.00 ms`), and its output stays as it was.

pub(super) fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

pub(super) fn human_time(secs: f64) -> String {
    match secs {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s if s >= 1e-6 => format!("{:.1} µs", s * 1e6),
        s => format!("{:.0} ns", s * 1e9),
    }
}

pub(super) fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec >= 1e9 {
        format!("{:.2} GB/s", bytes_per_sec / 1e9)
    } else {
        format!("{:.0} MB/s", bytes_per_sec / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_from_its_threshold() {
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1 << 10), "1 KiB");
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_time(412e-9), "412 ns");
        assert_eq!(human_time(27.73e-6), "27.7 µs");
        assert_eq!(human_time(0.3), "300.00 ms");
        assert_eq!(human_time(1.5), "1.50 s");
        assert_eq!(human_rate(519e6), "519 MB/s");
        assert_eq!(human_rate(2.5e9), "2.50 GB/s");
    }
}
