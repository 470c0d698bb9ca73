//! `/docs` in a real browser: headless Chromium driven through chromedriver (WebDriver).
//!
//! Ignored by default: it needs Debian's `chromium` and `chromium-driver` (and `fonts-noto-cjk` for
//! the Korean text of the screenshots), which developers need not have. CI installs them and runs it:
//!
//!     cargo test --workspace --test docs_browser -- --ignored --exact docs_page_shows_every_operation_and_tries_them_against_the_sandbox
//!
//! `CHROMEDRIVER` and `CHROMIUM` name other binaries than `chromedriver` and `/usr/bin/chromium`. The
//! screenshots go to `<target dir>/ci/docs/` (their paths are printed).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use iamport_sandbox::{Fixtures, Sandbox, SystemClock};
use serde_json::{Value, json};

/// The whole test, start to end.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);
/// One wait for the page (an element to appear, a response to be shown).
const WAIT: Duration = Duration::from_secs(30);
const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
#[ignore = "needs chromium and chromedriver (Debian: chromium chromium-driver fonts-noto-cjk); CI runs it"]
async fn docs_page_shows_every_operation_and_tries_them_against_the_sandbox() {
    let fixtures = Fixtures::default_set();
    let (addr, _stop) = iamport_sandbox::spawn(Sandbox::new(&fixtures, SystemClock))
        .await
        .unwrap();
    let driver = Chromedriver::start();
    let client = driver.session().await;
    // in a task of its own, so that the browser is closed after a failure too
    let mut task = tokio::spawn(drive(client.clone(), addr, fixtures));
    let outcome = tokio::time::timeout(TEST_TIMEOUT, &mut task).await;
    task.abort();
    tokio::time::timeout(WAIT, client.close()).await.ok();
    // (and dropping `driver` kills chromedriver's process group, a browser left over with it)
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(failed)) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Ok(Err(failed)) => panic!("{failed}"),
        Err(_) => panic!("the browser test took more than {TEST_TIMEOUT:?}"),
    }
}

/// One operation of the spec, as Swagger UI lists it under one of its tags.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Listed {
    method: String,
    path: String,
    operation_id: String,
    tag: String,
}

fn spec() -> Value {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/iamport.yaml");
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every (operation, tag) pair of the spec: Swagger UI shows an operation under each of its tags
/// (under `default` when it has none).
fn spec_operations(spec: &Value) -> Vec<Listed> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in OPERATION_METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let operation_id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let tags: Vec<&str> = operation["tags"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let tags = if tags.is_empty() {
                vec!["default"]
            } else {
                tags
            };
            for tag in tags {
                out.push(Listed {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    operation_id: operation_id.to_owned(),
                    tag: tag.to_owned(),
                });
            }
        }
    }
    out.sort();
    out
}

/// What the page lists, read from its DOM.
const LISTED_JS: &str = r#"
return [...document.querySelectorAll('.opblock-tag-section')].flatMap(section =>
    [...section.querySelectorAll('.opblock')].map(block => ({
        tag: section.querySelector('.opblock-tag')?.getAttribute('data-tag') ?? '',
        method: block.querySelector('.opblock-summary-method')?.textContent.trim() ?? '',
        path: block.querySelector('[data-path]')?.getAttribute('data-path') ?? '',
        operation_id: block.querySelector('.opblock-summary-operation-id')?.textContent.trim() ?? '',
    })));
"#;

async fn listed(client: &Client) -> Vec<Listed> {
    let value = client.execute(LISTED_JS, vec![]).await.unwrap();
    let mut out: Vec<Listed> = value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| Listed {
            method: v["method"].as_str().unwrap_or_default().to_owned(),
            path: v["path"].as_str().unwrap_or_default().to_owned(),
            operation_id: v["operation_id"].as_str().unwrap_or_default().to_owned(),
            tag: v["tag"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    out.sort();
    out
}

async fn drive(client: Client, addr: SocketAddr, fixtures: Fixtures) {
    let client = &client;
    let base = format!("http://{addr}");
    let spec = spec();
    let expected = spec_operations(&spec);
    let operations: BTreeMap<&str, &Listed> = expected
        .iter()
        .map(|l| (l.operation_id.as_str(), l))
        .collect();
    println!(
        "spec/iamport.yaml: {} operations ({} under their tags)",
        operations.len(),
        expected.len()
    );

    // The page loads, from /docs (redirected to /docs/), and lists the whole spec.
    client.goto(&format!("{base}/docs")).await.unwrap();
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        format!("{base}/docs/")
    );
    wait_for(client, ".opblock-tag-section .opblock").await;
    let title = client
        .find(Locator::Css(".information-container .title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let spec_title = spec["info"]["title"].as_str().expect("info.title");
    assert!(
        title.contains(spec_title),
        "{title:?} is not {spec_title:?}"
    );
    let mut shown = Vec::new();
    for _ in 0..50 {
        shown = listed(client).await;
        if shown.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let missing: Vec<_> = expected.iter().filter(|l| !shown.contains(l)).collect();
    let extra: Vec<_> = shown.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the page does not list the spec's operations:\nmissing {missing:#?}\nnot in the spec {extra:#?}"
    );
    assert_eq!(shown, expected);
    println!(
        "/docs lists all {} operations of spec/iamport.yaml",
        operations.len()
    );
    // each tag's heading shows its description (Korean, then English)
    let headings = client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('.opblock-tag[data-tag]')]
                .map(h => [h.getAttribute('data-tag'), h.textContent]))",
            vec![],
        )
        .await
        .unwrap();
    for tag in spec["tags"].as_array().expect("tags") {
        let (name, description) = (tag["name"].as_str().unwrap(), &tag["description"]);
        let Some(description) = description.as_str() else {
            continue;
        };
        let heading = headings[name].as_str().unwrap_or_default();
        assert!(
            heading.contains(description),
            "tag {name}: {heading:?} does not show {description:?}"
        );
    }
    // the sandbox is the page's only server
    let servers = client
        .execute(
            "return [...document.querySelectorAll('.servers select option')].map(o => o.value)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(servers, json!(["/"]));
    screenshot(client, "docs-page.png").await;

    // Try it out: POST /users/getToken with the built-in credentials.
    let credential = &fixtures.credentials.0[0];
    let get_token = operations["getToken"];
    let body = json!({"imp_key": credential.imp_key, "imp_secret": credential.imp_secret});
    let answer = try_it_out(client, get_token, |op| async move {
        let textarea = wait_for(client, &format!("{op} textarea.body-param__text")).await;
        let typed = type_over(&textarea, &body.to_string()).await;
        assert_eq!(
            serde_json::from_str::<Value>(&typed).ok(),
            Some(body.clone()),
            "{typed}"
        );
    })
    .await;
    assert_eq!(answer.status, "200", "{answer:?}");
    assert_eq!(
        answer.request_url,
        format!("{base}/users/getToken"),
        "{answer:?}"
    );
    let token = answer.body["response"]["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token in {answer:?}"))
        .to_owned();
    println!("Try it out: POST /users/getToken answered 200 with an access token");
    screenshot(client, "docs-get-token.png").await;

    // Authorize with that token (the bearerAuth scheme), then try an operation that needs it.
    wait_for(client, ".auth-wrapper button.authorize")
        .await
        .click()
        .await
        .unwrap();
    // the bearerAuth scheme's form (Swagger UI gives its input this id)
    let form = ".modal-ux .auth-container:has(#auth-bearer-value)";
    let scheme = wait_for(client, &format!("{form} h4 code"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(scheme, "bearerAuth");
    client
        .find(Locator::Css("#auth-bearer-value"))
        .await
        .unwrap()
        .send_keys(&token)
        .await
        .unwrap();
    client
        .find(Locator::Css(&format!("{form} button.authorize")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let authorized = wait_for(client, ".modal-ux .auth-container h6")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(authorized, "Authorized");
    client
        .find(Locator::Css(".modal-ux button.btn-done"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let query_cash_amount = operations["queryCashAmount"];
    let uid = fixtures
        .payments
        .0
        .iter()
        .find(|p| matches!(p.answer, iamport_sandbox::NaverAnswer::CashAmount(_)))
        .expect("a fixture payment with a cash amount")
        .imp_uid
        .clone();
    let answer = try_it_out(client, query_cash_amount, |op| {
        let uid = uid.clone();
        async move {
            let input = wait_for(
                client,
                &format!("{op} tr[data-param-name=imp_uid] input[type=text]"),
            )
            .await;
            assert_eq!(type_over(&input, &uid).await, uid);
        }
    })
    .await;
    assert_eq!(answer.status, "200", "{answer:?}");
    assert_eq!(
        answer.request_url,
        format!("{base}/payments/{uid}/naver/cash-amount"),
        "{answer:?}"
    );
    assert!(
        answer.body["response"]["amount_total"].is_number(),
        "{answer:?}"
    );
    println!("authorized with it, GET /payments/{uid}/naver/cash-amount answered 200");
    screenshot(client, "docs-authorized.png").await;
}

#[derive(Debug)]
struct Answer {
    status: String,
    request_url: String,
    body: Value,
}

/// Opens the operation, "Try it out", `fill`s it, "Execute", and reads the answer the page shows.
async fn try_it_out<F, Fut>(client: &Client, operation: &Listed, fill: F) -> Answer
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let op = format!("#operations-{}-{}", operation.tag, operation.operation_id);
    wait_for(client, &format!("{op} .opblock-summary-control"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(client, &format!("{op} button.try-out__btn"))
        .await
        .click()
        .await
        .unwrap();
    fill(op.clone()).await;
    wait_for(client, &format!("{op} button.execute"))
        .await
        .click()
        .await
        .unwrap();
    let status = wait_for(
        client,
        &format!("{op} .live-responses-table tbody .response-col_status"),
    )
    .await
    .text()
    .await
    .unwrap();
    let request_url = client
        .find(Locator::Css(&format!("{op} .request-url pre")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = client
        .find(Locator::Css(&format!(
            "{op} .live-responses-table tbody .response-col_description pre"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // the answer in the middle of the window, for the screenshot
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![json!(format!("{op} .live-responses-table"))],
        )
        .await
        .unwrap();
    Answer {
        // the code, and "Undocumented" under it when the operation does not declare it
        status: status
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
        request_url: request_url.trim().to_owned(),
        body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
    }
}

/// Replaces the text of an input (the spec's example is there): select all, then type over it. Typed
/// keys, not a value set by script, so that Swagger UI's React inputs see the change. The new value.
async fn type_over(input: &fantoccini::elements::Element, text: &str) -> String {
    input.send_keys("\u{E009}a\u{E000}").await.unwrap();
    input.send_keys(text).await.unwrap();
    input.prop("value").await.unwrap().unwrap_or_default()
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` not on the page within {WAIT:?}: {e}"))
}

/// Saves a screenshot of the window to `<target dir>/ci/docs/NAME` and prints where.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    // the test binary is <target dir>/<profile>/deps/<name>-<hash>
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the target dir")
        .to_path_buf();
    let dir = target.join("ci").join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, png).unwrap();
    println!("screenshot: {}", file.display());
}

/// chromedriver on a free loopback port, in a process group of its own; the group (chromedriver
/// and the browsers it started) is killed when this drops.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    fn start() -> Self {
        let bin = std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(&bin)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            0,
        )
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; install chromium and chromium-driver (Debian) or set CHROMEDRIVER",
                PathBuf::from(&bin).display()
            )
        });
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A new headless Chromium session, once chromedriver answers (within [`WAIT`]).
    async fn session(&self) -> Client {
        // Debian's chromedriver finds /usr/bin/chromium itself; named anyway, when it is there
        let chromium = std::env::var("CHROMIUM").ok().or_else(|| {
            let debian = "/usr/bin/chromium";
            std::path::Path::new(debian)
                .exists()
                .then(|| debian.to_owned())
        });
        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1400,1800",
                "--lang=ko-KR",
            ],
        });
        if let Some(chromium) = chromium {
            options["binary"] = json!(chromium);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let attempt = tokio::time::timeout(
                WAIT,
                ClientBuilder::new(connector)
                    .capabilities(capabilities.clone())
                    .connect(&self.url),
            )
            .await;
            match attempt {
                Ok(Ok(client)) => return client,
                // chromedriver not listening yet
                Ok(Err(_)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Ok(Err(e)) => panic!(
                    "no WebDriver session from chromedriver at {}: {e}",
                    self.url
                ),
                Err(_) => panic!(
                    "chromedriver at {} gave no session within {WAIT:?}",
                    self.url
                ),
            }
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // the whole group, by its id (chromedriver's pid): chromedriver and the browser it started
        let group = format!("-{}", self.child.id());
        Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status()
            .ok();
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
