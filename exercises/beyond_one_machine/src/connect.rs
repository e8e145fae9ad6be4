//! Connecting the processes of a cluster to each other, within a time limit.
//!
//! Timely's own set-up (`timely::communication::networking::create_sockets`) retries a refused
//! connection every second, forever, and prints each retry on standard output. A peer that never
//! comes would make the program hang; the retries would be mixed into the table. So this module
//! makes the same connections under a deadline and hands them to timely
//! (`initialize_networking_from_sockets`, the documented way in for callers who connect their own
//! sockets). The handshake is timely's: process `i` connects to every process before it and
//! sends its index as a big-endian `u64`; it accepts a connection from every process after it.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

/// Why a process could not join its cluster.
#[derive(Debug)]
pub enum ConnectError {
    /// This process's own address is taken, or not this machine's.
    Listen { address: String, cause: io::Error },
    /// An address in the hostfile does not resolve.
    Resolve { address: String, cause: io::Error },
    /// A process before this one never accepted a connection.
    Unreachable {
        process: usize,
        address: String,
        waited: Duration,
        cause: io::Error,
    },
    /// Some processes after this one never connected.
    NotConnected {
        missing: Vec<usize>,
        waited: Duration,
    },
    /// A connection arrived but did not say which process it is.
    Handshake { cause: io::Error },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Listen { address, cause } => write!(
                f,
                "cannot listen on {address}: {cause} (is another program, or another copy of \
                 this process, using the port?)"
            ),
            ConnectError::Resolve { address, cause } => {
                write!(f, "cannot resolve {address}: {cause}")
            }
            ConnectError::Unreachable {
                process,
                address,
                waited,
                cause,
            } => write!(
                f,
                "process {process} at {address} did not answer within {} ({cause}); is it \
                 started, with the same hostfile?",
                support::units::seconds(waited.as_secs_f64())
            ),
            ConnectError::NotConnected { missing, waited } => {
                let list: Vec<String> = missing.iter().map(usize::to_string).collect();
                write!(
                    f,
                    "process{} {} did not connect within {}; {} started, with the same hostfile?",
                    if missing.len() > 1 { "es" } else { "" },
                    list.join(", "),
                    support::units::seconds(waited.as_secs_f64()),
                    if missing.len() > 1 {
                        "are they"
                    } else {
                        "is it"
                    },
                )
            }
            ConnectError::Handshake { cause } => {
                write!(f, "a peer connected but did not send its index: {cause}")
            }
        }
    }
}

impl std::error::Error for ConnectError {}

/// How long one connection attempt may take: a peer on a real network that drops packets
/// would otherwise hold `connect` for the kernel's two minutes.
const ATTEMPT: Duration = Duration::from_secs(1);
/// The pause after the first refusal from a peer (it may not have started yet); each next pause
/// doubles, up to [`RETRY_MAX`]. Processes started together bind within milliseconds of each
/// other, and a refusal costs a round trip, so the first retries come soon: a fixed 50 ms pause
/// was most of the cluster's start-up whenever process 1 came up before process 0 had bound.
const RETRY_FIRST: Duration = Duration::from_millis(1);
/// The longest pause between two attempts, for a peer that is slow to come.
const RETRY_MAX: Duration = Duration::from_millis(100);

/// Connects process `me` to every other process in `addresses` (one `host:port` per process, in
/// order), giving up after `limit`. The result has one socket per process and `None` at `me`, as
/// timely expects.
pub fn connect_all(
    addresses: &[String],
    me: usize,
    limit: Duration,
) -> Result<Vec<Option<TcpStream>>, ConnectError> {
    let deadline = Instant::now() + limit;
    // Listen first, so that a port in use is reported at once, before any waiting.
    let listener = if me + 1 < addresses.len() {
        let address = &addresses[me];
        let listener =
            TcpListener::bind(address.as_str()).map_err(|cause| ConnectError::Listen {
                address: address.clone(),
                cause,
            })?;
        Some(listener)
    } else {
        None
    };
    let mut sockets: Vec<Option<TcpStream>> = Vec::with_capacity(addresses.len());
    for (process, address) in addresses.iter().enumerate().take(me) {
        let stream = connect_to(process, address, me, deadline, limit)?;
        sockets.push(Some(stream));
    }
    sockets.push(None);
    if let Some(listener) = listener {
        sockets.extend(accept_from(
            &listener,
            me,
            addresses.len(),
            deadline,
            limit,
        )?);
    }
    Ok(sockets)
}

/// Connects to `process` at `address`, retrying while it refuses, and says who we are.
fn connect_to(
    process: usize,
    address: &str,
    me: usize,
    deadline: Instant,
    limit: Duration,
) -> Result<TcpStream, ConnectError> {
    let targets: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|cause| ConnectError::Resolve {
            address: address.to_owned(),
            cause,
        })?
        .collect();
    let unreachable = |cause| ConnectError::Unreachable {
        process,
        address: address.to_owned(),
        waited: limit,
        cause,
    };
    let mut pause = RETRY_FIRST;
    loop {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for target in &targets {
            let left = deadline.saturating_duration_since(Instant::now());
            match TcpStream::connect_timeout(
                target,
                ATTEMPT.min(left).max(Duration::from_millis(1)),
            ) {
                Ok(mut stream) => {
                    let said = stream
                        .set_nodelay(true)
                        .and_then(|()| stream.write_all(&(me as u64).to_be_bytes()));
                    return match said {
                        Ok(()) => Ok(stream),
                        Err(cause) => Err(unreachable(cause)),
                    };
                }
                Err(cause) => last = cause,
            }
        }
        if Instant::now() + pause >= deadline {
            return Err(unreachable(last));
        }
        thread::sleep(pause);
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// Accepts one connection from each process after `me`, in any order, until `deadline`.
fn accept_from(
    listener: &TcpListener,
    me: usize,
    processes: usize,
    deadline: Instant,
    limit: Duration,
) -> Result<Vec<Option<TcpStream>>, ConnectError> {
    let handshake = |cause| ConnectError::Handshake { cause };
    listener.set_nonblocking(true).map_err(handshake)?;
    let mut later: Vec<Option<TcpStream>> = (me + 1..processes).map(|_| None).collect();
    while later.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream.set_nonblocking(false).map_err(handshake)?;
                stream.set_nodelay(true).map_err(handshake)?;
                let left = deadline.saturating_duration_since(Instant::now());
                stream
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .map_err(handshake)?;
                let mut index = [0u8; 8];
                stream.read_exact(&mut index).map_err(handshake)?;
                stream.set_read_timeout(None).map_err(handshake)?;
                let index = u64::from_be_bytes(index) as usize;
                match later.get_mut(index.wrapping_sub(me + 1)) {
                    Some(slot @ None) => *slot = Some(stream),
                    _ => {
                        return Err(handshake(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("unexpected process index {index}"),
                        )));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Asleep until a peer connects, not in rounds of a fixed pause: a pause is
                // time added to every start-up.
                if !connection_waiting(listener, deadline).map_err(handshake)? {
                    let missing = (me + 1..processes)
                        .filter(|&p| later[p - me - 1].is_none())
                        .collect();
                    return Err(ConnectError::NotConnected {
                        missing,
                        waited: limit,
                    });
                }
            }
            Err(cause) => return Err(handshake(cause)),
        }
    }
    Ok(later)
}

/// Waits until `listener` has a connection to accept, or `deadline` passes; returns whether one
/// came.
fn connection_waiting(listener: &TcpListener, deadline: Instant) -> io::Result<bool> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let mut pollfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // Rounded up, so that the last fraction of a millisecond is waited for, not spun on.
        let timeout = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `pollfd` is one valid pollfd, alive for the call, and its descriptor is the
        // listener's, open while `listener` is borrowed.
        match unsafe { libc::poll(&mut pollfd, 1, timeout) } {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            -1 => return Err(io::Error::last_os_error()),
            0 => {}
            _ => return Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_addresses(n: usize) -> Vec<String> {
        let listeners: Vec<TcpListener> = (0..n)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        listeners
            .iter()
            .map(|l| l.local_addr().unwrap().to_string())
            .collect()
    }

    #[test]
    fn three_processes_connect_to_each_other() {
        let addresses = free_addresses(3);
        let handles: Vec<_> = (0..3)
            .map(|me| {
                let addresses = addresses.clone();
                thread::spawn(move || connect_all(&addresses, me, Duration::from_secs(20)))
            })
            .collect();
        for (me, handle) in handles.into_iter().enumerate() {
            let sockets = handle.join().unwrap().unwrap();
            let present: Vec<bool> = sockets.iter().map(Option::is_some).collect();
            let expected: Vec<bool> = (0..3).map(|p| p != me).collect();
            assert_eq!(present, expected, "process {me}");
        }
    }

    #[test]
    fn a_process_that_comes_up_before_its_peer_listens_connects_when_it_does() {
        let addresses = free_addresses(2);
        let early = {
            let addresses = addresses.clone();
            thread::spawn(move || connect_all(&addresses, 1, Duration::from_secs(20)))
        };
        // Process 1 is refused until process 0 binds: it retries, and process 0 accepts it.
        thread::sleep(Duration::from_millis(200));
        let sockets = connect_all(&addresses, 0, Duration::from_secs(20)).unwrap();
        assert!(sockets[1].is_some());
        assert!(early.join().unwrap().unwrap()[0].is_some());
    }

    #[test]
    fn a_missing_peer_is_an_error_within_the_limit() {
        let addresses = free_addresses(2);
        let error = connect_all(&addresses, 1, Duration::from_millis(300)).unwrap_err();
        assert!(
            matches!(error, ConnectError::Unreachable { process: 0, .. }),
            "{error}"
        );
        let error = connect_all(&addresses, 0, Duration::from_millis(300)).unwrap_err();
        assert!(
            matches!(error, ConnectError::NotConnected { .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("process 1 did not connect"),
            "{error}"
        );
    }

    #[test]
    fn a_port_in_use_is_reported_at_once() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addresses = vec![
            taken.local_addr().unwrap().to_string(),
            "127.0.0.1:1".into(),
        ];
        let error = connect_all(&addresses, 0, Duration::from_secs(60)).unwrap_err();
        assert!(matches!(error, ConnectError::Listen { .. }), "{error}");
    }
}
