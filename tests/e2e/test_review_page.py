"""The review page in a real headless Chromium, on jobs run through the real stack.

Every service runs as its own process (as in test_video_jobs.py). The sample is the
demo's clip with its subtitles. The "flagged only" filter needs flagged and unflagged
shots, so this stack's fusion service runs with an operator setting chosen for the
widest gap in the sample's largest Jensen-Shannon divergences between modalities
(0.27 on the shot where all three agree; 0.56, 0.61 and 0.75 on the others):
``EMO_FUSION_REVIEW_DIVERGENCE=0.4`` flags three shots and leaves one. The page is
compared with what ``GET /v1/videos/{id}`` says, shot by shot. The last tests restart
the gateway with an API key on the same data folder, so the same job is viewed
through the key prompt. Screenshots go to build/review/.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from devtools.sample_video import cached
from devtools.serve import LocalStack
from emocore.labels import LABELS
from emocore.settings import REPO_ROOT
from tests.e2e.browser import chrome

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO_ROOT / "build" / "review"
API_KEY = "review-page-test-key"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root: Path = tmp_path_factory.mktemp("review-stack")
    env = {"EMO_GATEWAY_DATA_DIR": str(root / "gateway"), "EMO_FUSION_REVIEW_DIVERGENCE": "0.4"}
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=300) as running:
        yield running


def submit(stack: LocalStack, *, wait: bool) -> httpx.Response:
    clip = cached("small")
    files = {
        "video": ("sample.mp4", clip.video.read_bytes(), "video/mp4"),
        "subtitles": ("sample.srt", clip.srt.read_bytes(), "application/x-subrip"),
    }
    return httpx.post(f"{stack.url('gateway')}/v1/videos", files=files, params={"wait": str(wait).lower()}, timeout=600)


@pytest.fixture(scope="module")
def job(stack: LocalStack) -> dict[str, Any]:
    response = submit(stack, wait=True)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    flags = [shot["fused"]["needs_review"] for shot in result["shots"]]
    assert any(flags) and not all(flags), f"the sample needs flagged and unflagged shots, got {flags}"
    return result


@pytest.fixture
def browser() -> Iterator[Chrome]:
    with chrome() as session:
        yield session


def wait_for(browser: Chrome, condition: Any, timeout_s: float = 30) -> Any:
    return WebDriverWait(browser, timeout_s, poll_frequency=0.1).until(lambda _: condition())


def screenshot(browser: Chrome, name: str) -> Path:
    """The whole page (beyond the window) as a PNG under build/review/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}},
    )
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def shot_elements(browser: Chrome) -> list[Any]:
    return browser.find_elements(By.CSS_SELECTOR, "#strip .shot")


def thumbnails_loaded(browser: Chrome, count: int) -> bool:
    widths = browser.execute_script(
        "return [...document.querySelectorAll('#strip .shot img')].map(i => i.complete ? i.naturalWidth : 0)"
    )
    return len(widths) == count and all(w == 160 for w in widths)


def assert_details(browser: Chrome, shot: dict[str, Any]) -> None:
    panel = browser.find_element(By.ID, "details")
    wait_for(browser, lambda: panel.get_attribute("data-index") == str(shot["index"]))
    assert f"Shot {shot['index']}" in panel.text
    for modality in ("face", "text", "audio", "fused"):
        part = shot[modality]
        row = panel.find_element(By.CSS_SELECTOR, f"tr[data-modality='{modality}']")
        if part.get("scores") is None:
            assert not row.find_elements(By.CSS_SELECTOR, ".score")
            continue
        assert row.find_element(By.CSS_SELECTOR, "strong.label").text == part["label"]
        shown = {
            el.get_attribute("data-label"): el.find_element(By.CSS_SELECTOR, ".score-value").text
            for el in row.find_elements(By.CSS_SELECTOR, ".score")
        }
        assert shown == {label: f"{part['scores'][label]:.2f}" for label in LABELS}
    if shot["fused"]["needs_review"]:
        assert shot["fused"]["review_reason"] in panel.text
    for line in shot["text"]["lines"]:
        assert line in panel.text


def test_thumbnails_are_served_per_shot(stack: LocalStack, job: dict[str, Any]) -> None:
    base = f"{stack.url('gateway')}/v1/videos/{job['id']}"
    for shot in job["shots"]:
        response = httpx.get(f"{base}/shots/{shot['index']}/thumbnail.jpg")
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1] == 160 and image.shape[0] == round(288 * 160 / 352)
    missing = httpx.get(f"{base}/shots/{len(job['shots'])}/thumbnail.jpg")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"job {job['id']} has no shot 4 (it has 4 shots)"
    unknown = httpx.get(f"{stack.url('gateway')}/v1/videos/{'0' * 32}/shots/0/thumbnail.jpg")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_review_page_shows_shots_flags_scores_and_filters(stack: LocalStack, job: dict[str, Any], browser: Chrome) -> None:
    shots = job["shots"]
    browser.get(f"{stack.url('gateway')}/ui/videos/{job['id']}")
    wait_for(browser, lambda: len(shot_elements(browser)) == len(shots))
    wait_for(browser, lambda: thumbnails_loaded(browser, len(shots)))
    assert browser.find_element(By.ID, "job-status").text == "done"
    elements = {int(el.get_attribute("data-index")): el for el in shot_elements(browser)}
    assert sorted(elements) == [shot["index"] for shot in shots]
    for shot in shots:
        el = elements[shot["index"]]
        flags = el.find_elements(By.CSS_SELECTOR, ".flag")
        if shot["fused"]["needs_review"]:
            assert "flagged" in el.get_attribute("class").split()
            assert len(flags) == 1 and flags[0].is_displayed()
            assert flags[0].get_attribute("title") == shot["fused"]["review_reason"]
        else:
            assert "flagged" not in el.get_attribute("class").split() and not flags
        assert el.find_element(By.CSS_SELECTOR, ".shot-label").text == shot["fused"]["label"]
    lines = browser.find_elements(By.CSS_SELECTOR, "#lines .line")
    assert [line.text for line in lines] == [" / ".join(shot["text"]["lines"]) for shot in shots]
    marks = browser.find_elements(By.CSS_SELECTOR, "#transitions .transition")
    assert len(marks) == len(shots) - 1  # one mark per cut
    flagged_list = browser.find_element(By.ID, "flagged").text
    assert all(s["fused"]["review_reason"] in flagged_list for s in shots if s["fused"]["needs_review"])

    for shot in shots:
        elements[shot["index"]].click()
        assert_details(browser, shot)
    screenshot(browser, "review-page")

    elements = {int(el.get_attribute("data-index")): el for el in shot_elements(browser)}
    browser.find_element(By.ID, "flagged-only").click()
    for shot in shots:
        assert elements[shot["index"]].is_displayed() == shot["fused"]["needs_review"]
    screenshot(browser, "review-page-flagged-only")
    browser.find_element(By.ID, "flagged-only").click()
    assert all(el.is_displayed() for el in shot_elements(browser))


def test_job_list_links_to_the_review_page(stack: LocalStack, job: dict[str, Any], browser: Chrome) -> None:
    browser.get(f"{stack.url('gateway')}/ui/")
    link = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, f"tr[data-id='{job['id']}'] a"))[0]
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-id='{job['id']}']")
    assert "sample.mp4" in row.text and "done" in row.text
    link.click()
    wait_for(browser, lambda: len(shot_elements(browser)) == len(job["shots"]))
    assert browser.current_url.endswith(f"/ui/videos/{job['id']}")


def test_review_page_follows_a_running_job(stack: LocalStack, browser: Chrome) -> None:
    response = submit(stack, wait=False)
    assert response.status_code == 202
    job_id = response.json()["id"]
    browser.get(f"{stack.url('gateway')}/ui/videos/{job_id}")
    seen = wait_for(browser, lambda: browser.find_element(By.ID, "job-status").text)
    assert seen in ("queued", "running")  # the page was open before the job ended ...
    wait_for(browser, lambda: browser.find_element(By.ID, "job-status").text == "done", timeout_s=300)
    body = httpx.get(f"{stack.url('gateway')}/v1/videos/{job_id}").json()
    wait_for(browser, lambda: len(shot_elements(browser)) == len(body["result"]["shots"]))  # ... and shows it


@pytest.fixture
def keyed(stack: LocalStack) -> Iterator[LocalStack]:
    """The same stack and data with the gateway restarted with an API key (and back after)."""
    def restart(env: dict[str, str]) -> None:
        stack.kill("gateway")
        stack.env = env
        stack.spawn("gateway")
        stack.wait_ready(("gateway",))

    plain = dict(stack.env)
    restart({**plain, "EMO_GATEWAY_API_KEY": API_KEY})
    try:
        yield stack
    finally:
        restart(plain)


def enter_key(browser: Chrome, key: str) -> None:
    field = wait_for(browser, lambda: browser.find_element(By.ID, "key-input").is_displayed() and browser.find_element(By.ID, "key-input"))
    field.clear()
    field.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()


def test_with_an_api_key_the_page_asks_for_it(keyed: LocalStack, job: dict[str, Any], browser: Chrome) -> None:
    gateway = keyed.url("gateway")
    assert httpx.get(f"{gateway}/ui/videos/{job['id']}").status_code == 200  # the page holds no data
    assert httpx.get(f"{gateway}/v1/videos/{job['id']}/shots/0/thumbnail.jpg").status_code == 401
    browser.get(f"{gateway}/ui/videos/{job['id']}")
    enter_key(browser, "not-the-key")
    error = browser.find_element(By.ID, "key-error")
    wait_for(browser, error.is_displayed)
    assert "Wrong API key" in error.text and "401" in error.text
    assert not shot_elements(browser)
    screenshot(browser, "review-page-wrong-key")

    enter_key(browser, API_KEY)
    wait_for(browser, lambda: len(shot_elements(browser)) == len(job["shots"]))
    wait_for(browser, lambda: thumbnails_loaded(browser, len(job["shots"])))
    assert not browser.find_element(By.ID, "key-panel").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('emotion-review.api-key')") == API_KEY
    requested = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert requested and not any(API_KEY in url for url in [*requested, browser.current_url])

    browser.refresh()  # asked once: the key is kept for the tab's session
    wait_for(browser, lambda: len(shot_elements(browser)) == len(job["shots"]))
    assert not browser.find_element(By.ID, "key-panel").is_displayed()
    browser.get(f"{gateway}/ui/")  # the job list reads with the same key
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, f"tr[data-id='{job['id']}']"))
