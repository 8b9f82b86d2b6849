//! The recipe's rrdtool traffic graph (python-ops-recipes, section 3.2), end to end.
//!
//! 1. Creates `Flow.rrd` like the recipe's `create.py` (COUNTER data sources `eth0_in` and
//!    `eth0_out`, step 300 s, AVERAGE/MAX/MIN archives) and fills it with a day of synthetic
//!    traffic up to now, from the testbed's traffic fixture.
//! 2. Renders `Flow.png` from the recipe's exact `graph.py` argument list, in-process through
//!    librrd, after validating it as a typed graph spec.
//! 3. Prints the `info`, `first`, `last` and `fetch` summaries that the recipe names as the way
//!    to inspect an RRD.
//!
//! Output goes to `target/demo/` or to the directory in `OPSKIT_DEMO_DIR`. Like the recipe, it
//! works in that directory, so the graph's `Flow.rrd` and `Flow.png` are relative paths.

use std::error::Error;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use opskit::rrdgraph::{Cf, FetchRequest, GraphSpec, InfoValue, Rrd, TRAFFIC_RECIPE_ARGS};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::var_os("OPSKIT_DEMO_DIR")
        .map_or_else(|| PathBuf::from("target/demo"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;

    // 1. Flow.rrd with a day (and two hours) of synthetic traffic, up to now.
    let traffic = testbed::rrd::TrafficRrd::builder()
        .file_name("Flow.rrd")
        .hours(26)
        .end_now()
        .create_in(&dir)?;
    println!(
        "wrote {} ({} updates of eth0_in/eth0_out, every 300 s)",
        traffic.path().display(),
        traffic.rates().len() + 1
    );

    // 2. graph.py: the recipe's arguments, with its dated title.
    std::env::set_current_dir(&dir)?;
    let title = format!("Server network traffic flow ({})", today());
    let args: Vec<String> = TRAFFIC_RECIPE_ARGS
        .iter()
        .map(|a| {
            if *a == "Server network traffic flow" {
                title.clone()
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    let spec = GraphSpec::parse_args(&args)?;
    let rendered = spec.render_to_output()?;
    let meta = rendered.meta().ok_or("the graph drew nothing")?;
    println!(
        "wrote {} ({}x{} PNG, graph area {}x{})",
        dir.join("Flow.png").display(),
        meta.image_width,
        meta.image_height,
        meta.graph_width,
        meta.graph_height
    );
    for legend in rendered.legends().iter().filter(|l| l.contains("bps")) {
        println!("  {legend}");
    }

    // 3. rrdtool info | first | last | fetch Flow.rrd
    let rrd = Rrd::new("Flow.rrd");
    let info = rrd.info()?;
    println!(
        "\n$ rrdtool info Flow.rrd   (selected lines of {})",
        info.len()
    );
    for (key, value) in info.iter() {
        let wanted = matches!(key, "filename" | "rrd_version" | "step" | "last_update")
            || key.starts_with("ds[")
            || (key.starts_with("rra[")
                && matches!(key.rsplit_once('.'), Some((_, "cf" | "rows"))));
        if wanted && !matches!(value, InfoValue::Blob(_)) {
            println!("{key} = {value}");
        }
    }
    println!("\n$ rrdtool first Flow.rrd\n{}", rrd.first(0)?);
    let last = rrd.last()?;
    println!("\n$ rrdtool last Flow.rrd\n{last}");
    let fetched = rrd.fetch(&FetchRequest::new(Cf::Average).start(last - 3600).end(last))?;
    println!(
        "\n$ rrdtool fetch Flow.rrd AVERAGE --start {} --end {last}",
        last - 3600
    );
    print!("{}", fetched.to_text());
    Ok(())
}

/// Today's date in UTC as `YYYY-MM-DD` (the recipe uses the local date; the demo is UTC).
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
