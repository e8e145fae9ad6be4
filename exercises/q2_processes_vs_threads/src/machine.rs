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

    /// What to say under a table of timings of a debug build (`None` for a release build).
    pub fn build_note(&self) -> Option<String> {
        self.debug_build.then(|| {
            "These are timings of a debug build; for optimised code: \
             cargo run --release -p q2_processes_vs_threads"
                .to_owned()
        })
    }
}

impl Machine {
    /// The line to add under a reading of timings when the machine was overloaded (see
    /// [`overloaded`]); `None` on a machine with a free core, or when the load is unknown.
    ///
    /// ```
    /// use q2_processes_vs_threads::machine::Machine;
    /// let machine = Machine { cores: 2, load: Some(3.91), ..Machine::detect() };
    /// assert_eq!(
    ///     machine.load_caution().unwrap(),
    ///     "Caution: the load average (3.91) was above the 2 cores: other programs kept every \
    ///      core busy, so these timings mostly measure waiting for a core.",
    /// );
    /// ```
    pub fn load_caution(&self) -> Option<String> {
        // Decided on the load as printed (two decimals), so it never says "2.00 was above 2".
        let load = self
            .load
            .map(|load| (load * 100.0).round() / 100.0)
            .filter(|&load| overloaded(load, self.cores))?;
        let cores = if self.cores == 1 { "core" } else { "cores" };
        Some(format!(
            "Caution: the load average ({load:.2}) was above the {} {cores}: other programs kept \
             every core busy, so these timings mostly measure waiting for a core.",
            self.cores
        ))
    }
}

/// Whether a one-minute load average of `load` means more runnable tasks than `cores`: then a
/// worker that is ready to run often waits for a core, and that wait, not the cost being
/// measured, makes up most of a timing. A load equal to the cores still leaves each task one.
pub fn overloaded(load: f64, cores: usize) -> bool {
    load > cores as f64
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
    fn overloaded_means_more_runnable_tasks_than_cores() {
        assert!(!overloaded(0.0, 1));
        assert!(!overloaded(1.99, 2));
        assert!(!overloaded(2.0, 2), "one task per core is not overloaded");
        assert!(overloaded(2.01, 2));
        assert!(overloaded(3.91, 2));
        assert!(!overloaded(3.91, 4));
    }

    #[test]
    fn a_caution_only_when_overloaded() {
        let machine = |cores, load| Machine {
            cores,
            load,
            ..Machine::detect()
        };
        assert_eq!(machine(2, Some(0.5)).load_caution(), None);
        assert_eq!(machine(2, Some(2.0)).load_caution(), None);
        assert_eq!(
            machine(2, None).load_caution(),
            None,
            "load unknown: no claim"
        );
        assert_eq!(
            machine(2, Some(2.004)).load_caution(),
            None,
            "printed as 2.00"
        );
        assert_eq!(
            machine(1, Some(1.5)).load_caution().unwrap(),
            "Caution: the load average (1.50) was above the 1 core: other programs kept every \
             core busy, so these timings mostly measure waiting for a core."
        );
        let caution = machine(2, Some(3.91)).load_caution().unwrap();
        assert!(caution.starts_with("Caution: the load average (3.91) was above the 2 cores: "));
        assert_eq!(caution.lines().count(), 1);
    }

    #[test]
    fn detects_at_least_one_core() {
        assert!(Machine::detect().cores >= 1);
    }
}
