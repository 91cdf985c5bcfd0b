//! Thread scheduling: decoders run at a lower priority than the UI and the network
//! ingests, so an overloaded machine drops decoded frames, not UI frames or packets.
//!
//! Owns: the one `unsafe` call the media engine makes. Must not: raise priorities.

/// Nice value for decoder threads (0 is normal, 19 the lowest).
pub const DECODER_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to `nice`. Returns false (and
/// changes nothing) where the OS refuses or is not Linux.
pub fn lower_current_thread(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        let tid = nix::unistd::gettid().as_raw();
        let Ok(tid) = libc::id_t::try_from(tid) else {
            return false;
        };
        // SAFETY: setpriority takes plain integers and touches no memory of ours; on
        // Linux, PRIO_PROCESS with a thread id changes only that thread's nice value.
        #[allow(unsafe_code)]
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) };
        result == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_only_the_calling_thread() {
        let nice_of = |tid: i32| -> i64 {
            let stat =
                std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).expect("stat");
            // Field 19 (nice) counted after the ")" that ends the thread name.
            let after = &stat[stat.rfind(')').expect("comm end") + 2..];
            after
                .split_whitespace()
                .nth(16)
                .expect("nice")
                .parse()
                .expect("number")
        };
        let main_tid = nix::unistd::gettid().as_raw();
        let before = nice_of(main_tid);
        let worker = std::thread::Builder::new()
            .name("test-nice".to_owned())
            .spawn(move || {
                assert!(lower_current_thread(DECODER_NICE));
                nice_of(nix::unistd::gettid().as_raw())
            })
            .expect("spawn")
            .join()
            .expect("join");
        assert_eq!(
            worker,
            i64::from(DECODER_NICE.max(i32::try_from(before).unwrap_or(0)))
        );
        assert_eq!(
            nice_of(main_tid),
            before,
            "other threads keep their priority"
        );
    }
}
