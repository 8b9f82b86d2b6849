//! The batch renderer over real worker processes.
//!
//! The workers are this test binary, started with `--exact batch::worker_entry`: that test
//! becomes the worker loop when `RRDGRAPH_BATCH_WORKER` is set.

use std::time::Duration;

use rrdgraph::{BatchRenderer, RrdError, render_args};
use testbed::rrd::TrafficRrd;

use crate::render::flow_args;

fn batch(workers: usize) -> BatchRenderer {
    BatchRenderer::builder()
        .workers(workers)
        .worker_command(
            std::env::current_exe().unwrap(),
            [
                "--exact",
                "batch::worker_entry",
                "--nocapture",
                "--test-threads=1",
            ],
        )
        .build()
        .unwrap()
}

/// The workers' entry point, not a check of its own: in a worker process this serves requests
/// on stdin/stdout and exits; in the normal test run it returns at once. The worker loop
/// itself is tested in memory by the crate's unit tests (`batch::tests`).
#[test]
fn worker_entry() {
    rrdgraph::serve_worker_if_requested();
}

#[test]
fn results_come_back_in_order_with_their_own_errors() {
    let rrd = TrafficRrd::create().unwrap();
    let mut jobs: Vec<Vec<String>> = Vec::new();
    for i in 0..9 {
        let mut args = flow_args(rrd.path(), "-");
        if i % 4 == 3 {
            // A failing spec in the middle of the batch.
            args.push(format!("DEF:broken=/nonexistent/opskit/{i}.rrd:x:AVERAGE"));
            args.push("LINE1:broken#000000".into());
        } else {
            args.push(format!("COMMENT:job {i}\\l"));
        }
        jobs.push(args);
    }
    let mut renderer = batch(2);
    let results = renderer.render_all(&jobs);
    assert_eq!(results.len(), jobs.len());
    for (i, (r, job)) in results.iter().zip(&jobs).enumerate() {
        if i % 4 == 3 {
            let err = r.as_ref().unwrap_err();
            assert!(
                matches!(err, RrdError::Librrd { op: "graph", message } if message.contains(&format!("/nonexistent/opskit/{i}.rrd"))),
                "{i}: {err:?}"
            );
        } else {
            let r = r.as_ref().unwrap();
            assert!(
                r.legends().iter().any(|l| l == &format!("job {i}")),
                "{i}: {:?}",
                r.legends()
            );
            // The same graph in-process gives the same answer.
            let local = render_args(job).unwrap();
            assert_eq!(r.legends(), local.legends());
            assert_eq!(r.meta(), local.meta());
            assert_eq!(r.image().map(<[u8]>::len), local.image().map(<[u8]>::len));
        }
    }
    // The workers stay up for the next batch.
    let again = renderer.render_all(&jobs[..2]);
    assert!(again.iter().all(Result::is_ok));
}

#[test]
fn a_worker_that_overruns_is_killed_and_replaced() {
    let rrd = TrafficRrd::builder().hours(2).create().unwrap();
    let jobs: Vec<Vec<String>> = (0..3).map(|_| flow_args(rrd.path(), "-")).collect();
    let mut renderer = batch(1);
    renderer.set_timeout(Duration::from_millis(1));
    let results = renderer.render_all(&jobs);
    for r in &results {
        assert!(
            matches!(r, Err(RrdError::Worker(m)) if m.contains("longer than")),
            "{r:?}"
        );
    }
    renderer.set_timeout(Duration::from_secs(60));
    let results = renderer.render_all(&jobs);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[test]
fn a_program_that_is_not_a_worker_fails_each_job_cleanly() {
    let mut renderer = BatchRenderer::builder()
        .workers(2)
        .worker_command("/bin/true", Vec::<String>::new())
        .build()
        .unwrap();
    let results = renderer.render_all(&[vec!["-", "COMMENT:x"], vec!["-", "COMMENT:y"]]);
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(
            matches!(&r, Err(RrdError::Worker(m)) if m.contains("serve_worker_if_requested")),
            "{r:?}"
        );
    }
}

#[test]
fn empty_batch() {
    let mut renderer = batch(2);
    let none: Vec<Vec<String>> = Vec::new();
    assert!(renderer.render_all(&none).is_empty());
}

#[test]
fn specs_render_in_workers_like_in_process() {
    let rrd = TrafficRrd::builder().hours(3).create().unwrap();
    let specs: Vec<rrdgraph::GraphSpec> = (0..4)
        .map(|i| {
            rrdgraph::GraphSpec::parse_args(&flow_args(rrd.path(), &format!("graph-{i}.png")))
                .unwrap()
        })
        .collect();
    let mut renderer = batch(2);
    let results = renderer.render_specs(&specs);
    assert_eq!(results.len(), 4);
    for (spec, r) in specs.iter().zip(results) {
        let r = r.unwrap();
        let local = spec.render().unwrap();
        assert_eq!(r.legends(), local.legends());
        assert_eq!(r.image().map(<[u8]>::len), local.image().map(<[u8]>::len));
    }
    assert!(!std::path::Path::new("graph-0.png").exists());
}

#[test]
fn a_worker_that_never_starts_is_killed_at_the_deadline() {
    let mut renderer = BatchRenderer::builder()
        .workers(1)
        .worker_command("/bin/sleep", ["600"])
        .start_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let results = renderer.render_all(&[vec!["-", "COMMENT:x"]]);
    assert!(
        matches!(&results[0], Err(RrdError::Worker(m)) if m.contains("no hello within")),
        "{results:?}"
    );
}

#[test]
fn a_worker_that_dies_fails_only_its_job() {
    // Says hello, then dies before answering: every job fails with the exit status, and the
    // renderer starts a new worker for each next job.
    let mut renderer = BatchRenderer::builder()
        .workers(1)
        .worker_command(
            "/bin/sh",
            [
                "-c",
                "printf 'RRDGRAPH-WORKER-1\\n'; head -c 4 >/dev/null; exit 3",
            ],
        )
        .build()
        .unwrap();
    let results = renderer.render_all(&[vec!["-", "COMMENT:a"], vec!["-", "COMMENT:b"]]);
    assert_eq!(results.len(), 2);
    for r in &results {
        assert!(
            matches!(r, Err(RrdError::Worker(m)) if m.contains("exit status: 3")),
            "{r:?}"
        );
    }
}
