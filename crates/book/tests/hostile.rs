//! The book's tools follow the exercises' output rules too: a reader who goes away ends them
//! quietly, a full disk is one line and exit code 1, a usage error exit code 2.

use std::process::{Command, Stdio};

use support::hostile;

const TOOLS: [(&str, &str); 2] = [
    ("regenerate", env!("CARGO_BIN_EXE_regenerate")),
    ("browser", env!("CARGO_BIN_EXE_browser")),
];

#[test]
fn help_follows_the_output_rules_and_a_usage_error_exits_2() {
    for (name, bin) in TOOLS {
        hostile::assert_quiet_on_a_closed_pipe(Command::new(bin).arg("--help"));
        hostile::assert_one_line_on_a_full_disk(Command::new(bin).arg("--help"), name);
        for stderr in [Stdio::piped(), Stdio::from(hostile::full_disk().unwrap())] {
            let output = Command::new(bin)
                .arg("--no-such-option")
                .stdin(Stdio::null())
                .stderr(stderr)
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{name}");
            assert!(output.stdout.is_empty(), "{name}");
        }
    }
}
