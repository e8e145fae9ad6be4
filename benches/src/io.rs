//! I/O-bound work: question 3's downloads, from question 3's own local server.
//!
//! The server (`q3_create_process::server`) answers every request after a fixed latency, one
//! thread per connection, on 127.0.0.1 only. The task is question 3's `DOWNLOAD`: an HTTP GET
//! with `reqwest`, the body written to a temporary file, synced, and renamed into place. Each
//! approach below runs the same task on the same files; only how the waiting is overlapped
//! differs.

use std::io;
use std::path::Path;
use std::thread;
use std::time::Duration;

use common::{Pool, Process};
use q3_create_process::download::{DOWNLOAD, Job, download};
use q3_create_process::server::Server;
use tempfile::TempDir;

/// Bytes in each served file.
pub const FILE_LEN: usize = 4096;

/// A local server with `files` files, each answered after `latency`, and a directory for the
/// downloads (removed on drop).
#[derive(Debug)]
pub struct Site {
    server: Server,
    dir: TempDir,
}

impl Site {
    pub fn start(latency: Duration, files: usize) -> io::Result<Site> {
        let body: Vec<u8> = (0..FILE_LEN).map(|i| b'a' + (i % 26) as u8).collect();
        let files = (1..=files).map(|i| (format!("file{i}.txt"), body.clone()));
        Ok(Site {
            server: Server::start(files, latency)?,
            dir: tempfile::tempdir()?,
        })
    }

    /// `http://127.0.0.1:PORT`, for the Python side to download from the same server.
    pub fn base(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The directory the files are downloaded to.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// One job per file, for the first `count` files.
    pub fn jobs(&self, count: usize) -> Vec<Job> {
        self.server
            .urls()
            .into_iter()
            .take(count)
            .enumerate()
            .map(|(i, url)| Job {
                url,
                temp: self.dir.path().join(format!("file{}.txt.part", i + 1)),
                file: self.dir.path().join(format!("file{}.txt", i + 1)),
                timeout: Duration::from_secs(30),
                max_time: Duration::from_secs(600),
                announce: false,
            })
            .collect()
    }
}

fn check(outcome: Result<q3_create_process::download::Downloaded, impl std::fmt::Display>) {
    match outcome {
        Ok(done) => assert_eq!(done.bytes, FILE_LEN as u64, "a whole file"),
        Err(e) => panic!("download failed: {e}"),
    }
}

/// One download after the other, on this thread.
pub fn sequential(jobs: &[Job]) {
    for job in jobs {
        check(download(job.clone()));
    }
}

/// One thread per download, all at once.
pub fn threads(jobs: &[Job]) {
    thread::scope(|s| {
        for job in jobs {
            s.spawn(move || check(download(job.clone())));
        }
    });
}

/// One child process per download, all started before any is joined (question 3's program).
pub fn processes(jobs: &[Job]) {
    let children: Vec<_> = jobs
        .iter()
        .map(|job| Process::start(&DOWNLOAD, job.clone()).expect("a process starts"))
        .collect();
    for child in children {
        check(child.join().expect("the child finishes"));
    }
}

/// The downloads on a warm process pool, one task per chunk.
pub fn pool(pool: &Pool, jobs: &[Job]) {
    let results = pool
        .chunksize(1)
        .map(&DOWNLOAD, jobs.iter().cloned())
        .expect("the workers stay up");
    results.into_iter().for_each(check);
}
