//! The library's dump, restore, tune, resize and list, and the typed info: the CLI tests
//! compare them with the rrdtool binary; these check what only the library shows.

use std::io::{self, Write};

use rrdgraph::{
    DumpHeader, ListRequest, Resize, RestoreOptions, Rrd, RrdError, RrdInfo, TuneSpec, list,
};
use testbed::rrd::TrafficRrd;

/// A writer that fails after `left` bytes, as a full disk or a closed pipe does.
struct FailsAfter {
    left: usize,
    written: Vec<u8>,
}

impl Write for FailsAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn dump_streams_and_reports_a_failing_writer() {
    let rrd = TrafficRrd::builder().hours(2).create().unwrap();
    let handle = Rrd::new(rrd.path());
    let mut full = Vec::new();
    handle.dump(DumpHeader::None, &mut full).unwrap();
    let text = String::from_utf8(full.clone()).unwrap();
    assert!(
        text.starts_with("<!-- Round Robin Database Dump -->"),
        "{text:.80}"
    );
    assert!(text.trim_end().ends_with("</rrd>"));

    let mut broken = FailsAfter {
        left: 1000,
        written: Vec::new(),
    };
    let err = handle.dump(DumpHeader::Dtd, &mut broken).unwrap_err();
    assert!(
        matches!(&err, RrdError::Output { op: "dump", detail } if detail.contains("closed")),
        "{err:?}"
    );
    assert_eq!(broken.written.len(), 1000);
    // librrd is still usable after the aborted dump.
    let mut again = Vec::new();
    handle.dump(DumpHeader::None, &mut again).unwrap();
    assert_eq!(again, full);
}

#[test]
fn restore_tune_resize_and_list_round_trip() {
    let rrd = TrafficRrd::builder().hours(1).create().unwrap();
    let dir = rrd.dir().to_path_buf();
    let mut xml = Vec::new();
    Rrd::new(rrd.path())
        .dump(DumpHeader::Dtd, &mut xml)
        .unwrap();
    let xml_path = dir.join("dump.xml");
    std::fs::write(&xml_path, &xml).unwrap();

    let copy = Rrd::new(dir.join("copy.rrd"));
    copy.restore(&xml_path, RestoreOptions::default()).unwrap();
    assert!(matches!(
        copy.restore(&xml_path, RestoreOptions::default()),
        Err(RrdError::Librrd { op: "restore", .. })
    ));
    copy.restore(&xml_path, RestoreOptions::default().force_overwrite())
        .unwrap();
    let info = RrdInfo::from_info(&copy.info().unwrap()).unwrap();
    let ds = info.ds[0].name.clone();

    copy.tune(&TuneSpec::parse_args(&["--heartbeat", &format!("{ds}:1234")]).unwrap())
        .unwrap();
    let info = RrdInfo::from_info(&copy.info().unwrap()).unwrap();
    assert_eq!(info.ds[0].minimal_heartbeat, Some(1234));
    assert!(matches!(
        copy.tune(&TuneSpec::new()),
        Err(RrdError::Invalid { what: "tune", .. })
    ));
    assert!(copy.resize(0, Resize::Grow, 0).is_err());
    // What crashes librrd 1.7.2's tune (SIGFPE) is refused before it runs.
    assert!(TuneSpec::parse_args(&["RRA:HWPREDICT:1:0.5:0.5:0"]).is_err());
    let delete_all: Vec<String> = info.ds.iter().map(|d| format!("DEL:{}", d.name)).collect();
    assert!(matches!(
        copy.tune(&TuneSpec::parse_args(&delete_all).unwrap()),
        Err(RrdError::Invalid {
            what: "tune DEL",
            ..
        })
    ));

    let mut names = list(&dir, &ListRequest::new()).unwrap();
    names.sort();
    assert!(names.contains(&"copy.rrd".to_owned()), "{names:?}");
    assert!(!names.iter().any(|n| n == "dump.xml"), "{names:?}");
}
