//! Property tests of the sans-IO core: round trips, and no input panics or grows unbounded.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Instant;

use clamd_proto::{Command, Decoder, Exchange, Mode, ScanMode, ScanResult, SessionCore, Verdict};
use proptest::prelude::*;

fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 1..64)
}

fn scan_mode() -> impl Strategy<Value = ScanMode> {
    prop_oneof![
        Just(ScanMode::Scan),
        Just(ScanMode::ContScan),
        Just(ScanMode::MultiScan),
        Just(ScanMode::AllMatchScan)
    ]
}

proptest! {
    #[test]
    fn path_commands_round_trip(bytes in path_bytes(), mode in scan_mode(), n in any::<bool>()) {
        let path = PathBuf::from(OsStr::from_bytes(&bytes));
        let wire = if n { Mode::N } else { Mode::Z };
        let cmd = Command::Path(mode, path);
        match cmd.to_bytes(wire) {
            Ok(encoded) => prop_assert_eq!(Command::decode(&encoded), Some((wire, cmd))),
            Err(_) => prop_assert!(n && bytes.contains(&b'\n')),
        }
    }

    #[test]
    fn scan_lines_round_trip(
        bytes in path_bytes(),
        sig in "[A-Za-z0-9._-]{1,40}",
        msg in "[A-Za-z .()']{1,40}",
        kind in 0u8..3,
    ) {
        let verdict = match kind {
            0 => Verdict::Clean,
            1 => Verdict::Found(sig),
            _ => Verdict::Error(msg),
        };
        let r = ScanResult::new(PathBuf::from(OsStr::from_bytes(&bytes)), verdict);
        let mut line = Vec::new();
        r.emit(&mut line);
        let parsed = ScanResult::parse(&line, Some(&bytes)).unwrap();
        prop_assert_eq!(parsed, r);
    }

    #[test]
    fn decoder_never_panics_and_stays_bounded(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(1usize..512, 1..16),
        n in any::<bool>(),
        session in any::<bool>(),
    ) {
        let mode = if n { Mode::N } else { Mode::Z };
        let mut d = Decoder::new(mode, 256).with_session_ids(session);
        let mut rest = &data[..];
        let mut i = 0;
        while !rest.is_empty() {
            let k = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            let (block, tail) = rest.split_at(k);
            rest = tail;
            if d.handle_input(block).is_err() {
                break;
            }
            while let Some(f) = d.poll_frame() {
                match f {
                    Ok(f) => prop_assert!(f.body.len() <= 256),
                    Err(_) => break,
                }
            }
            prop_assert!(d.buffered() <= 256 + 512 + 256);
        }
        let _ = d.handle_eof();
    }

    #[test]
    fn exchanges_never_panic(data in prop::collection::vec(any::<u8>(), 0..2048), which in 0usize..8) {
        let cmds = [
            Command::Ping, Command::Version, Command::VersionCommands, Command::Stats,
            Command::Reload, Command::Instream, Command::Fildes,
            Command::Path(ScanMode::ContScan, "/a".into()),
        ];
        for mode in [Mode::Z, Mode::N] {
            let (mut ex, _) = Exchange::new(cmds[which].clone(), mode, 512, 100).unwrap();
            if ex.handle_input(&data).is_ok() && ex.poll_response().is_none() {
                let _ = ex.handle_eof();
            }
        }
    }

    #[test]
    fn session_core_never_panics(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        sends in 0usize..20,
    ) {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 512, now);
        for i in 0..sends {
            let cmd = if i % 2 == 0 { Command::Ping } else { Command::Path(ScanMode::Scan, "/x".into()) };
            s.send(cmd, now).unwrap();
        }
        let _ = s.handle_input(&data, now);
        while s.poll_reply().is_some() {}
        let _ = s.handle_eof();
        prop_assert_eq!(s.pending(), 0);
    }

    #[test]
    fn session_replies_match_any_order(order in Just((1u64..=20).collect::<Vec<_>>()).prop_shuffle()) {
        let now = Instant::now();
        let mut s = SessionCore::new(Mode::Z, 512, now);
        for i in 1..=20u64 {
            s.send(Command::Path(ScanMode::Scan, format!("/f{i}").into()), now).unwrap();
        }
        let mut wire = Vec::new();
        for id in &order {
            wire.extend_from_slice(format!("{id}: /f{id}: OK\0").as_bytes());
        }
        s.handle_input(&wire, now).unwrap();
        let mut got = Vec::new();
        while let Some((id, r)) = s.poll_reply() {
            let clamd_proto::Reply::Scan(r) = r.unwrap() else { panic!() };
            let want = format!("/f{id}");
            prop_assert_eq!(r.path_bytes(), want.as_bytes());
            got.push(id);
        }
        prop_assert_eq!(got, order);
    }
}
