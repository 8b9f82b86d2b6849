//! Fuzzes the clamd reply decoder: framing in both modes, with and without session ids, the
//! typed reply parsers, the one-command exchange and the IDSESSION core. Nothing may panic, and
//! no frame may exceed the configured limit.

#![no_main]

use std::time::Instant;

use clamd_proto::{
    Command, Decoder, Exchange, Mode, Reply, ScanMode, ScanResult, SessionCore, Stats, Version,
    VersionCommands,
};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let mode = if control & 1 == 0 { Mode::Z } else { Mode::N };
    let cut = usize::from(control >> 1).max(1);

    // Framing, fed in pieces of `cut` bytes.
    let mut decoder = Decoder::new(mode, LIMIT).with_session_ids(control & 2 != 0);
    for block in input.chunks(cut) {
        if decoder.handle_input(block).is_err() {
            break;
        }
        while let Some(frame) = decoder.poll_frame() {
            let Ok(frame) = frame else { break };
            assert!(frame.body.len() <= LIMIT);
            let _ = ScanResult::parse(&frame.body, Some(b"/srv"));
            let _ = Version::parse(&frame.body);
            let _ = VersionCommands::parse(&frame.body);
            let _ = Stats::parse(&frame.body);
            let _ = Reply::parse(&Command::Instream, &frame.body, None);
        }
        assert!(decoder.buffered() <= LIMIT + cut);
    }
    let _ = decoder.handle_eof();

    // One command on its own connection.
    let commands = [
        Command::Ping,
        Command::Version,
        Command::Stats,
        Command::Fildes,
        Command::Path(ScanMode::MultiScan, "/srv".into()),
    ];
    let command = commands[usize::from(control) % commands.len()].clone();
    if let Ok((mut ex, _)) = Exchange::new(command, mode, LIMIT, 64) {
        let mut done = false;
        for block in input.chunks(cut) {
            if ex.handle_input(block).is_err() || ex.poll_response().is_some() {
                done = true;
                break;
            }
        }
        if !done {
            let _ = ex.handle_eof();
        }
    }

    // IDSESSION with a few requests pending.
    let now = Instant::now();
    let mut session = SessionCore::new(mode, LIMIT, now);
    for i in 0..(control % 8) {
        let cmd = if i % 2 == 0 {
            Command::Ping
        } else {
            Command::Path(ScanMode::Scan, "/srv/x".into())
        };
        let _ = session.send(cmd, now);
    }
    for block in input.chunks(cut) {
        if session.handle_input(block, now).is_err() {
            break;
        }
        while session.poll_reply().is_some() {}
    }
    let _ = session.handle_eof();
});
