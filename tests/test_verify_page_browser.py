"""The verify page in a real browser: Debian's Chromium, headless, driven by selenium.

Each test drives ``pithtex ui`` on 127.0.0.1 as a person would (choosing
files, dropping them, with and without JavaScript, by keyboard), saves a
screenshot under its tmp dir, and checks from the browser's performance log
that the page asked no other origin for anything.  Chromium and chromedriver
are required: without them these tests fail (``bootstrap.sh`` installs them).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_TITLE, require_tool
from webpage import PageProcess, Samples

pytest_plugins = ("webfixtures",)
pytestmark = [pytest.mark.network, pytest.mark.tex, pytest.mark.slow]

MIB = 1024 * 1024
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",
)
"""Headless Chromium as root, with nothing that reaches out to the network by itself."""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageProcess]:
    temp = tmp_path_factory.mktemp("browser-ui")
    server = PageProcess(
        ["ui", "--port", "0", "--offline", "--max-upload", "1", "--workers", "2"],
        temp,
        env={"PITHTEX_CACHE_DIR": str(temp / "cache")},
    )
    yield server
    server.stop()


@contextmanager
def chromium(*, javascript: bool = True) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = require_tool("chromium"), require_tool("chromedriver")
    profile = tempfile.mkdtemp(prefix="pithtex-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested(driver: Any) -> list[tuple[str, str]]:
    """``(URL, document URL)`` of every request since the last call (the performance log)."""
    found = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            found.append((params["request"]["url"], params.get("documentURL", "")))
    return found


def assert_only_own_origin(driver: Any, page: PageProcess) -> list[str]:
    """Nothing went to the network but to the page's origin, and the page asked for
    nothing but its own files and ``data:`` URLs (Chromium's internal ``chrome://``
    pages, such as the first new tab, are not the network and not the page)."""
    found = requested(driver)
    own = page.origin + "/"
    networked = [url for url, _ in found if url.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    assert [u for u in networked if not u.startswith(own)] == []
    urls = [url for url, document in found if document.startswith(own)]
    assert urls, "the performance log shows no request of the page"
    assert [u for u in urls if not u.startswith((own, "data:"))] == []
    return urls


def choose(driver: Any, *files: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "pdf").send_keys("\n".join(str(f) for f in files))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def results(driver: Any, count: int = 1, timeout: float = 60) -> list[Any]:
    """The finished result articles, once there are ``count`` of them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    selector = "article.result:not(.pending)"

    def ready(d: Any) -> list[Any] | bool:
        found = d.find_elements(By.CSS_SELECTOR, selector)
        return found if len(found) >= count else False

    found: list[Any] = WebDriverWait(driver, timeout).until(ready)
    return found


def wait_for(driver: Any, selector: str, timeout: float = 60) -> Any:
    """The first element matching ``selector``, once there is one (after a navigation)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    located = expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector))
    return WebDriverWait(driver, timeout).until(located)


def screenshot(driver: Any, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_sample_gives_verified_with_the_records_title(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        choose(driver, samples.stamped)
        (result,) = results(driver)
        assert result.get_attribute("data-verdict") == "verified"
        assert result.find_element(By.CSS_SELECTOR, "h2 .word").text == "VERIFIED"
        assert result.find_element(By.CSS_SELECTOR, ".card .title").text == SEED_TITLE
        assert result.find_element(By.CSS_SELECTOR, "svg.page").is_displayed()
        badge = result.find_elements(By.CSS_SELECTOR, "svg rect.region-badge")
        assert badge, "the badge is outlined on page 1"
        link = result.find_element(By.CSS_SELECTOR, ".download a")
        assert link.get_attribute("download") == "paper.check.json"
        assert link.get_attribute("href").startswith("data:application/json;base64,")
        status = driver.find_element(By.ID, "status").text
        assert status == "Checked 1 file: 1 verified."
        screenshot(driver, tmp_path / "verified.png")
        assert_only_own_origin(driver, page)
        assert page.uploads_left() == []


def test_a_tampered_pdf_gives_failed_with_the_failing_check_named(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        choose(driver, samples.tampered)
        (result,) = results(driver)
        assert result.get_attribute("data-verdict") == "failed"
        assert result.find_element(By.CSS_SELECTOR, "h2 .word").text == "FAILED"
        decisive = result.find_element(By.CSS_SELECTOR, "tr.decisive")
        assert decisive.get_attribute("data-check") == "check.hash"
        assert "decides the verdict" in decisive.text
        assert (
            "The record hash in the PDF" in result.find_element(By.CSS_SELECTOR, ".headline").text
        )
        screenshot(driver, tmp_path / "failed.png")
        assert_only_own_origin(driver, page)


def test_a_file_that_is_not_a_pdf_gives_unusable(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        choose(driver, samples.not_pdf)
        (result,) = results(driver)
        assert result.get_attribute("data-verdict") == "unusable"
        assert result.find_element(By.CSS_SELECTOR, "h2 .word").text == "UNUSABLE"
        screenshot(driver, tmp_path / "unusable.png")
        assert_only_own_origin(driver, page)


def test_an_oversized_upload_is_refused(page: PageProcess, tmp_path: Path) -> None:

    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (2 * MIB))
    with chromium() as driver:  # the script refuses it before sending it
        driver.get(page.url)
        choose(driver, big)
        (result,) = results(driver)
        assert result.get_attribute("data-verdict") == "refused"
        assert "larger than this page accepts" in result.text
        screenshot(driver, tmp_path / "refused-js.png")
        urls = assert_only_own_origin(driver, page)
        assert not any(u.endswith("/check?fragment=1") for u in urls)
    with chromium(javascript=False) as driver:  # the server refuses it
        driver.get(page.url)
        choose(driver, big)
        article = wait_for(driver, "article.refusal")
        assert article.get_attribute("data-status") == "413"
        assert "upload.too_large" in article.text and "REFUSED" in article.text
        screenshot(driver, tmp_path / "refused-nojs.png")
        assert_only_own_origin(driver, page)
    assert page.uploads_left() == []


def test_without_javascript_the_form_post_returns_the_report_page(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium(javascript=False) as driver:
        driver.get(page.url)
        assert not driver.find_element(By.CSS_SELECTOR, ".js-only").is_displayed()
        choose(driver, samples.stamped, samples.not_pdf)
        wait_for(driver, "article.result")
        assert driver.current_url == page.url + "check"
        articles = driver.find_elements(By.CSS_SELECTOR, "article.result")
        assert [a.get_attribute("data-verdict") for a in articles] == ["verified", "unusable"]
        assert SEED_TITLE in articles[0].text
        assert driver.title.startswith("VERIFIED paper.pdf; UNUSABLE notes.pdf")
        screenshot(driver, tmp_path / "report-nojs.png")
        assert_only_own_origin(driver, page)


def test_several_files_at_once_each_get_a_result_in_order(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        choose(driver, samples.stamped, samples.tampered, samples.not_pdf)
        found = results(driver, 3)
        assert [a.get_attribute("data-verdict") for a in found] == [
            "verified",
            "failed",
            "unusable",
        ]
        status = driver.find_element(By.ID, "status").text
        assert status.startswith("Checked 3 files:") and "1 verified" in status
        screenshot(driver, tmp_path / "several.png")
        assert_only_own_origin(driver, page)


def test_files_dropped_on_the_box_are_checked(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        # a real file in a DataTransfer needs a file input to come from: one outside the form
        carrier = driver.execute_script(
            "const input = document.createElement('input'); input.type = 'file';"
            "input.multiple = true; input.id = 'carrier'; document.body.append(input);"
            "return input;"
        )
        carrier.send_keys(f"{samples.stamped}\n{samples.not_pdf}")
        driver.execute_script(
            "const files = document.getElementById('carrier').files;"
            "const data = new DataTransfer(); for (const f of files) data.items.add(f);"
            "const drop = document.getElementById('drop');"
            "for (const type of ['dragenter', 'dragover', 'drop']) {"
            "  drop.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true,"
            "    cancelable: true}));"
            "}"
        )
        found = results(driver, 2)
        assert [a.get_attribute("data-verdict") for a in found] == ["verified", "unusable"]
        assert "over" not in driver.find_element(By.ID, "drop").get_attribute("class")
        screenshot(driver, tmp_path / "dropped.png")
        assert_only_own_origin(driver, page)


def test_the_page_works_by_keyboard_with_labels(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chromium() as driver:
        driver.get(page.url)
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        assert active.get_attribute("class") == "skip" and active.is_displayed()
        order = []
        for _ in range(3):
            ActionChains(driver).send_keys(Keys.TAB).perform()
            current = driver.switch_to.active_element
            order.append(current.get_attribute("id") or current.tag_name)
        assert order[-2:] == ["pdf", "button"], order
        labels = driver.execute_script(
            "return Array.from(document.getElementById('pdf').labels).map(l => l.textContent);"
        )
        assert labels == ["Choose PDF files"]
        # the file chosen, the form is sent from the keyboard
        driver.find_element(By.ID, "pdf").send_keys(str(samples.stamped))
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").send_keys(Keys.ENTER)
        (result,) = results(driver)
        assert result.get_attribute("data-verdict") == "verified"
        screenshot(driver, tmp_path / "keyboard.png")
        assert_only_own_origin(driver, page)


CONTRAST = """
function luminance(color) {
  const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(element) {
  for (let e = element; e; e = e.parentElement) {
    const color = getComputedStyle(e).backgroundColor;
    if (!color.startsWith('rgba(0, 0, 0, 0)') && color !== 'transparent') return color;
  }
  return 'rgb(255, 255, 255)';
}
return Array.from(document.querySelectorAll(arguments[0])).map(e => {
  const a = luminance(getComputedStyle(e).color), b = luminance(background(e));
  return [e.textContent.trim().slice(0, 40), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
});
"""


def test_verdicts_are_told_by_word_and_icon_with_enough_contrast(
    page: PageProcess, samples: Samples, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.url)
        choose(driver, samples.stamped, samples.tampered, samples.not_pdf)
        found = results(driver, 3)
        words = [a.find_element(By.CSS_SELECTOR, "h2 .word").text for a in found]
        icons = [a.find_element(By.CSS_SELECTOR, "h2 .icon").text for a in found]
        assert words == ["VERIFIED", "FAILED", "UNUSABLE"]
        assert len(set(icons)) == 3  # a shape of its own for each, not only a colour
        measured = driver.execute_script(
            CONTRAST,
            ".verdict h2, .verdict .headline, .verdict .reason, .checks .status, .checks th,"
            " .checks td, .checks code, .help, .fields dt, .fields dd, figcaption, p, a, button",
        )
        low = [(text, ratio) for text, ratio in measured if ratio < 7]  # WCAG AAA
        assert len(measured) > 50 and low == [], low
        screenshot(driver, tmp_path / "contrast.png")
        assert_only_own_origin(driver, page)
