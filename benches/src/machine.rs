//! The machine a table was measured on: a number means little without it.

use std::time::{SystemTime, UNIX_EPOCH};

/// What the side-by-side runner prints above its table.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// Logical CPUs on the machine (the affinity mask may allow fewer).
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu: String,
    /// The kernel release.
    pub kernel: String,
    /// The compiler that built this binary.
    pub rustc: &'static str,
    /// Whether this binary is optimized (`--release`).
    pub optimized: bool,
    /// Load averages over 1, 5 and 15 minutes, as /proc/loadavg shows them.
    pub load: String,
    /// Now, in UTC: `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cpus = cpuinfo
            .lines()
            .filter(|line| line.starts_with("processor"))
            .count()
            .max(1);
        Machine {
            cores: crate::work::cores(),
            cpus,
            cpu,
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            rustc: env!("BENCHES_RUSTC_VERSION"),
            optimized: !cfg!(debug_assertions),
            load: load_average(),
            date: utc_now(),
        }
    }

    /// The 1-minute load average.
    pub fn load_1min(&self) -> f64 {
        self.load
            .split_whitespace()
            .next()
            .and_then(|l| l.parse().ok())
            .unwrap_or(0.0)
    }
}

/// Load averages over 1, 5 and 15 minutes, as /proc/loadavg shows them: read at the start of a
/// run by [`Machine::read`], and again at its end.
pub fn load_average() -> String {
    read_trimmed("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    #[test]
    fn reads_this_machine() {
        let m = Machine::read();
        assert!(m.cores >= 1 && m.cpus >= 1);
        assert_eq!(m.load.split_whitespace().count(), 3, "{}", m.load);
        assert!(m.rustc.starts_with("rustc "), "{}", m.rustc);
    }
}
