//! [`Descriptor`]: an open file, pipe or socket that can be sent to a worker process.

use std::fmt;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{self, Serialize, Serializer};

use crate::attach;

/// An open descriptor (a file, either end of a pipe, a socket) that travels to another process
/// as part of a task argument: the child gets the same open file, not a copy of its contents.
///
/// A descriptor is a number that means something only in the process that holds it. When a
/// value holding a `Descriptor` is sent as a task argument (to a [`Process`](crate::Process)
/// or a [`Pool`](crate::Pool)'s worker), the descriptor itself goes beside the encoded bytes,
/// over the worker's socket (SCM_RIGHTS), and the worker gets its own descriptor for the same
/// open file. It is how the ends of a [`Queue`](crate::Queue), a [`Pipe`](crate::Pipe) and
/// shared memory reach a worker, and it works for anything with a descriptor:
///
/// ```
/// use std::io::{Read, Write};
/// use common::{Descriptor, Process, Task, task};
///
/// /// In the child: writes a greeting into the pipe it was given.
/// fn greet(pipe: Descriptor) -> Result<(), String> {
///     let mut writer = std::io::PipeWriter::from(pipe.into_owned());
///     writeln!(writer, "hello from {}", std::process::id()).map_err(|e| e.to_string())
/// }
/// const GREET: Task<Descriptor, Result<(), String>> = task!(greet);
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     common::init(&[&GREET]);
///     let (mut reader, writer) = std::io::pipe()?;
///     let child = Process::start(&GREET, Descriptor::from(writer))?;
///     let mut line = String::new();
///     reader.read_to_string(&mut line)?; // the child's copy closes when it exits
///     child.join()??;
///     assert!(line.starts_with("hello from "));
///     Ok(())
/// }
/// ```
///
/// The parent's copy of a `Descriptor` sent as a task argument is closed once the task has
/// returned (a pool keeps it until then, as it may have to send the task again after a
/// worker's death); above, the child's copy closes when it exits, so `read_to_string` ends.
/// Encoding a `Descriptor` any other way (to JSON, say, or as a task's *result*) fails with an
/// error that says so: a number would mean nothing on the other side.
pub struct Descriptor(OwnedFd);

impl Descriptor {
    /// The descriptor, to turn into a `File`, a `PipeReader`, a `UnixStream`…
    pub fn into_owned(self) -> OwnedFd {
        self.0
    }
}

impl fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Descriptor")
            .field(&self.0.as_raw_fd())
            .finish()
    }
}

impl AsFd for Descriptor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for Descriptor {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl From<OwnedFd> for Descriptor {
    fn from(fd: OwnedFd) -> Self {
        Descriptor(fd)
    }
}

impl From<Descriptor> for OwnedFd {
    fn from(fd: Descriptor) -> Self {
        fd.0
    }
}

macro_rules! descriptor_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Descriptor {
            fn from(value: $t) -> Self {
                Descriptor(OwnedFd::from(value))
            }
        }
    )*};
}
descriptor_from!(
    File,
    std::io::PipeReader,
    std::io::PipeWriter,
    std::os::unix::net::UnixStream,
    std::net::TcpStream,
    std::net::TcpListener
);

impl Serialize for Descriptor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_fd(self.0.as_fd(), s)
    }
}

impl<'de> Deserialize<'de> for Descriptor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_fd(d).map(Descriptor)
    }
}

/// Encodes `fd` as an attachment of the message being built (see `attach`).
pub(crate) fn serialize_fd<S: Serializer>(fd: BorrowedFd<'_>, s: S) -> Result<S::Ok, S::Error> {
    let id = attach::attach(fd).map_err(ser::Error::custom)?;
    s.serialize_u64(id)
}

/// Decodes an attachment of the message being read (see `attach`).
pub(crate) fn deserialize_fd<'de, D: Deserializer<'de>>(d: D) -> Result<OwnedFd, D::Error> {
    let id = u64::deserialize(d)?;
    attach::take(id).map_err(de::Error::custom)
}
