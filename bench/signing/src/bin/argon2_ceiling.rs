//! What argon2id alone allows: THREADS threads hash one password each,
//! back to back, for SECONDS, with Gatehouse's default (OWASP) parameters
//! m = 19456 KiB, t = 2, p = 1 and the argon2 crate version Gatehouse uses.
//! Prints `ARGON2 threads=N hashes=N seconds=F per_sec=F`: the ceiling of
//! the full sign-in scenario, one hash per sign-in, on those cores.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3.0);
    let memory_kib: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(19456);
    let params = Params::new(memory_kib, 2, 1, Some(32)).map_err(|e| e.to_string())?;
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let params = params.clone();
                s.spawn(move || {
                    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                    let salt = [i as u8; 16];
                    let mut out = [0u8; 32];
                    let mut n = 0u64;
                    while start.elapsed() < budget {
                        if argon
                            .hash_password_into(b"bench passphrase", &salt, &mut out)
                            .is_ok()
                        {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let hashes: u64 = counts.iter().sum();
    println!(
        "ARGON2 threads={threads} hashes={hashes} seconds={elapsed:.2} per_sec={:.2}",
        hashes as f64 / elapsed
    );
    Ok(())
}
