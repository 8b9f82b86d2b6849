//! Headless Chromium driven through W3C `WebDriver`, for tests of pages opskit writes (the
//! route map's HTML report).
//!
//! [`Browser::start`] runs Debian's `chromedriver` ([`CHROMEDRIVER`]) on a free port of
//! 127.0.0.1 and opens a session of headless `chromium` ([`CHROMIUM`]) with a private profile.
//! Every `WebDriver` call is one HTTP/1.1 request over a `TcpStream` to that port, under a
//! deadline ([`Browser::call_timeout`]). The browser resolves no name (every host maps to
//! nothing), so a page can reach nothing but what the test serves it; pages are opened as
//! `file://` URLs. Dropping the [`Browser`] ends the session (Chromium exits) and kills
//! chromedriver, also during a panic's unwinding; chromedriver is started through
//! `setpriv --pdeathsig KILL` so that it dies with the test process too.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! let browser = testbed::browser::Browser::start()?;
//! browser.open(std::path::Path::new("/tmp/map.html"))?;
//! let title = browser.find("h1")?;
//! assert_eq!(browser.text(&title)?, "Route map");
//! let errors = browser.console_errors()?;
//! assert!(errors.is_empty(), "{errors:?}");
//! # Ok(())
//! # }
//! ```

mod base64;
mod http;

use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Chromium (package `chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The window size of the session, in CSS pixels.
pub const WINDOW: (u32, u32) = (1400, 1000);

/// How long one `WebDriver` call may take by default (a page load included).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long chromedriver may take to answer its status as ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a lost race for the free port is retried.
const PORT_ATTEMPTS: usize = 5;

/// The W3C key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether Chromium and chromedriver are installed (`cargo xtask setup` installs them).
pub fn available() -> bool {
    Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()
}

/// An element of the page, as `WebDriver` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(String);

/// One entry of the browser's console log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO` or `DEBUG`.
    pub level: String,
    /// The message, with where it came from.
    pub message: String,
}

/// A headless Chromium session behind a private chromedriver.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
    call_timeout: Duration,
}

fn other(what: impl Into<String>) -> io::Error {
    io::Error::other(what.into())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    ///
    /// # Errors
    ///
    /// When the programs are missing (with what to install), chromedriver does not answer
    /// ready within 30 s, or the session cannot be created.
    pub fn start() -> io::Result<Self> {
        if !available() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{CHROMIUM} or {CHROMEDRIVER} missing: install Debian's chromium and \
                     chromium-driver (cargo xtask setup)"
                ),
            ));
        }
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::start_once() {
                Ok(b) => return Ok(b),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| other("chromedriver did not start")))
    }

    fn start_once() -> io::Result<Self> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let driver = spawn_driver(port)?;
        let profile =
            std::env::temp_dir().join(format!("testbed-chromium-{}-{port}", std::process::id()));
        let mut b = Self {
            driver,
            addr,
            session: String::new(),
            profile,
            call_timeout: CALL_TIMEOUT,
        };
        b.wait_ready()?;
        b.session = b.new_session()?;
        Ok(b)
    }

    /// Sets how long each later `WebDriver` call may take (30 s unless set).
    #[must_use]
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.driver.try_wait()? {
                return Err(other(format!("chromedriver exited at start: {status}")));
            }
            if let Ok(r) = http::request(self.addr, "GET", "/status", None, Duration::from_secs(2))
                && let Ok(v) = serde_json::from_slice::<Value>(&r.body)
                && v["value"]["ready"] == Value::Bool(true)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "chromedriver on {} not ready within {START_TIMEOUT:?}",
                        self.addr
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn new_session(&self) -> io::Result<String> {
        let (w, h) = WINDOW;
        let args = [
            "--headless=new".to_owned(),
            // Root (as the tests run) has no user namespace sandbox.
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", self.profile.display()),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-extensions".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-default-apps".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            // Never ask the machine's resolver: every name maps to nothing.
            "--host-resolver-rules=MAP * ~NOTFOUND".to_owned(),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"pageLoad": 20_000, "script": 10_000, "implicit": 0},
        }}});
        let v = self.call("POST", "/session", Some(&caps))?;
        v["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| other(format!("no session id in {v}")))
    }

    /// One `WebDriver` call: its `value`, or the `WebDriver` error as an `io::Error`.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> io::Result<Value> {
        let text = body.map(Value::to_string);
        let r = http::request(self.addr, method, path, text.as_deref(), self.call_timeout)?;
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| {
            other(format!(
                "{method} {path}: HTTP {} with a body that is not JSON: {e}",
                r.status
            ))
        })?;
        if r.status != 200 {
            return Err(other(format!(
                "{method} {path}: HTTP {}: {} {}",
                r.status, v["value"]["error"], v["value"]["message"]
            )));
        }
        Ok(v.get("value").cloned().unwrap_or(Value::Null))
    }

    fn session_call(&self, method: &str, path: &str, body: Option<&Value>) -> io::Result<Value> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `path` as a `file://` URL and waits for it to load.
    ///
    /// # Errors
    ///
    /// When the path cannot be made absolute or the load fails or times out.
    pub fn open(&self, path: &Path) -> io::Result<()> {
        let abs = std::fs::canonicalize(path)?;
        let url = format!("file://{}", percent_path(&abs.to_string_lossy()));
        self.session_call("POST", "/url", Some(&json!({ "url": url })))
            .map(drop)
    }

    /// The first element that matches the CSS `selector`.
    ///
    /// # Errors
    ///
    /// When none does (`WebDriver`'s `no such element`).
    pub fn find(&self, selector: &str) -> io::Result<Element> {
        let v = self.session_call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": selector})),
        )?;
        element_of(&v).ok_or_else(|| other(format!("no element reference in {v}")))
    }

    /// Every element that matches the CSS `selector`.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub fn find_all(&self, selector: &str) -> io::Result<Vec<Element>> {
        let v = self.session_call(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": selector})),
        )?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(element_of).collect())
            .unwrap_or_default())
    }

    /// Clicks the centre of `el`.
    ///
    /// # Errors
    ///
    /// When the element cannot be clicked (hidden, covered).
    pub fn click(&self, el: &Element) -> io::Result<()> {
        self.session_call(
            "POST",
            &format!("/element/{}/click", el.0),
            Some(&json!({})),
        )
        .map(drop)
    }

    /// Moves the mouse over the centre of `el` (a hover), then releases the input state.
    ///
    /// # Errors
    ///
    /// When the actions fail.
    pub fn hover(&self, el: &Element) -> io::Result<()> {
        let actions = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "duration": 100, "x": 0, "y": 0,
                         "origin": {ELEMENT_KEY: el.0}}],
        }]});
        self.session_call("POST", "/actions", Some(&actions))?;
        self.session_call("DELETE", "/actions", None).map(drop)
    }

    /// Presses the left button over the centre of `el`, moves the mouse by `dx`, `dy` CSS
    /// pixels and releases it: a drag.
    ///
    /// # Errors
    ///
    /// When the actions fail.
    pub fn drag(&self, el: &Element, dx: i64, dy: i64) -> io::Result<()> {
        let actions = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "duration": 0, "x": 0, "y": 0, "origin": {ELEMENT_KEY: el.0}},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerMove", "duration": 200, "x": dx, "y": dy, "origin": "pointer"},
                {"type": "pointerUp", "button": 0},
            ],
        }]});
        self.session_call("POST", "/actions", Some(&actions))?;
        self.session_call("DELETE", "/actions", None).map(drop)
    }

    /// Turns the mouse wheel by `delta_y` pixels over the centre of `el` (negative: away
    /// from the user, which pages read as zooming in).
    ///
    /// # Errors
    ///
    /// When the actions fail.
    pub fn wheel(&self, el: &Element, delta_y: i64) -> io::Result<()> {
        let actions = json!({"actions": [{
            "type": "wheel", "id": "wheel",
            "actions": [{"type": "scroll", "duration": 0, "x": 0, "y": 0, "deltaX": 0,
                         "deltaY": delta_y, "origin": {ELEMENT_KEY: el.0}}],
        }]});
        self.session_call("POST", "/actions", Some(&actions))?;
        self.session_call("DELETE", "/actions", None).map(drop)
    }

    /// Types `text` into `el`.
    ///
    /// # Errors
    ///
    /// When the element takes no input.
    pub fn type_text(&self, el: &Element, text: &str) -> io::Result<()> {
        self.session_call(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(&json!({ "text": text })),
        )
        .map(drop)
    }

    /// The rendered text of `el`.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub fn text(&self, el: &Element) -> io::Result<String> {
        let v = self.session_call("GET", &format!("/element/{}/text", el.0), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The attribute `name` of `el`, if it has one.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub fn attribute(&self, el: &Element, name: &str) -> io::Result<Option<String>> {
        let v = self.session_call("GET", &format!("/element/{}/attribute/{name}", el.0), None)?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns
    /// what it returns.
    ///
    /// # Errors
    ///
    /// When the script throws or the call fails.
    pub fn execute(&self, script: &str, args: &[Value]) -> io::Result<Value> {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": args})),
        )
    }

    /// A PNG screenshot of the window.
    ///
    /// # Errors
    ///
    /// When the call fails or the answer is not base64.
    pub fn screenshot(&self) -> io::Result<Vec<u8>> {
        let v = self.session_call("GET", "/screenshot", None)?;
        let text = v
            .as_str()
            .ok_or_else(|| other("the screenshot is not a string"))?;
        base64::decode(text).ok_or_else(|| other("the screenshot is not base64"))
    }

    /// The console log since the last call (chromedriver's `browser` log): every message the
    /// page logged, its uncaught errors and the Content-Security-Policy violations.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub fn console(&self) -> io::Result<Vec<LogEntry>> {
        let v = self.session_call("POST", "/se/log", Some(&json!({"type": "browser"})))?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| LogEntry {
                        level: e["level"].as_str().unwrap_or_default().to_owned(),
                        message: e["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The console entries at level `SEVERE` (errors) since the last call.
    ///
    /// # Errors
    ///
    /// When the call fails.
    pub fn console_errors(&self) -> io::Result<Vec<LogEntry>> {
        Ok(self
            .console()?
            .into_iter()
            .filter(|e| e.level == "SEVERE")
            .collect())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http::request(
                self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
                Duration::from_secs(10),
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn element_of(v: &Value) -> Option<Element> {
    v.get(ELEMENT_KEY)
        .and_then(Value::as_str)
        .map(|s| Element(s.to_owned()))
}

/// A path with the characters a URL cannot hold raw percent-encoded.
fn percent_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// chromedriver on `port` of 127.0.0.1 (it allows local clients only), through
/// `setpriv --pdeathsig KILL` when there is one, so that it dies with the test process.
fn spawn_driver(port: u16) -> io::Result<Child> {
    let with_setpriv = Path::new("/usr/bin/setpriv").exists();
    let mut cmd = if with_setpriv {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--pdeathsig", "KILL", "--"]).arg(CHROMEDRIVER);
        c
    } else {
        Command::new(CHROMEDRIVER)
    };
    cmd.arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("running {CHROMEDRIVER}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_encode_what_a_path_may_hold() {
        assert_eq!(
            percent_path("/tmp/a b/map#1.html"),
            "/tmp/a%20b/map%231.html"
        );
    }
}
