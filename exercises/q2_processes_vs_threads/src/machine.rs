//! Facts about this machine and this program that the measurements depend on.

use std::fmt;

/// What the timings depend on, read when the program runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// CPUs this process may run on (`std::thread::available_parallelism`: honours affinity
    /// masks and cgroup quotas, like Python's `os.process_cpu_count()`).
    pub cores: usize,
    /// The one-minute load average, from `/proc/loadavg`: runnable tasks competing for the
    /// cores. Well above `cores`, timings include waits for a free core.
    pub load: Option<f64>,
    /// `std::env::consts::OS`.
    pub os: &'static str,
    /// Kernel release, from `/proc/sys/kernel/osrelease`, when readable.
    pub kernel: Option<String>,
    /// `std::env::consts::ARCH`.
    pub arch: &'static str,
    /// Built without optimisations (`cargo run` without `--release`).
    pub debug_build: bool,
    /// Size of this program's file, which every `common::Process` child loads again.
    pub binary_bytes: Option<u64>,
}

impl Machine {
    /// Reads the facts now.
    pub fn detect() -> Self {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok()),
            os: std::env::consts::OS,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_owned()),
            arch: std::env::consts::ARCH,
            debug_build: cfg!(debug_assertions),
            binary_bytes: std::env::current_exe()
                .and_then(std::fs::metadata)
                .ok()
                .map(|m| m.len()),
        }
    }
}

impl fmt::Display for Machine {
    /// `2 cores (load average 0.52), linux 6.8.0 on x86_64; this program: a debug build of 14.2 MB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cores = if self.cores == 1 { "core" } else { "cores" };
        write!(f, "{} {cores}", self.cores)?;
        if let Some(load) = self.load {
            write!(f, " (load average {load:.2})")?;
        }
        write!(f, ", {}", self.os)?;
        if let Some(kernel) = &self.kernel {
            write!(f, " {kernel}")?;
        }
        let build = if self.debug_build { "debug" } else { "release" };
        write!(f, " on {}; this program: a {build} build", self.arch)?;
        if let Some(bytes) = self.binary_bytes {
            write!(f, " of {:.1} MB", bytes as f64 / 1e6)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_itself_in_one_line() {
        let m = Machine {
            cores: 2,
            load: Some(0.5),
            os: "linux",
            kernel: Some("6.8.0".into()),
            arch: "x86_64",
            debug_build: true,
            binary_bytes: Some(14_200_000),
        };
        assert_eq!(
            m.to_string(),
            "2 cores (load average 0.50), linux 6.8.0 on x86_64; this program: a debug build of 14.2 MB"
        );
        let m = Machine {
            cores: 1,
            load: None,
            kernel: None,
            debug_build: false,
            binary_bytes: None,
            ..m
        };
        assert_eq!(
            m.to_string(),
            "1 core, linux on x86_64; this program: a release build"
        );
    }

    #[test]
    fn detects_at_least_one_core() {
        assert!(Machine::detect().cores >= 1);
    }
}
