"""Notebook 05 the way a class meets it: in JupyterLab and in Voilà, in a real (headless) Chromium.

Runs all cells, waits for the kernel, moves the τ slider and then the θ slider, and checks that the
edge image's pixels change after each move and that no cell shows an error. Needs Debian's
``chromium`` (``/usr/bin/chromium``) and the ``playwright`` package (no browser download); where
either is missing the tests are skipped with the reason. On failure, screenshots are saved in
``tests/_artifacts/``.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "05_edge_extraction.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "_artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package to run the browser tests",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Wait until ``url`` answers (any HTTP status), or the port accepts connections if ``url`` is a port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {url}")
        try:
            if url.isdigit():
                socket.create_connection(("127.0.0.1", int(url)), timeout=2).close()
            else:
                urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"server did not answer at {url}")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A throw-away copy of what the notebook needs, so nothing a browser saves touches the repo."""
    root = tmp_path_factory.mktemp("site")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / "notebooks" / NOTEBOOK)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copy(ROOT / "voila.json", root / "voila.json")
    return root


def _server(cmd: list[str], cwd: Path, env_extra: dict[str, str], url: str, log: Path):
    env = {**os.environ, **env_extra, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
    env.pop("PYTEST_CURRENT_TEST", None)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        _wait_http(url, proc)
    except Exception:
        proc.terminate()
        raise
    return proc


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _pixels(locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=np.int16)


def _press(page, slider_index: int, key: str, times: int) -> None:
    handle = page.locator(".widget-slider .noUi-handle").nth(slider_index)
    handle.focus()
    for _ in range(times):
        handle.press(key)


def _wait_for_change(edge_image, before: np.ndarray, timeout: float = 30.0) -> np.ndarray:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        after = _pixels(edge_image)
        if after.shape != before.shape or np.abs(after - before).sum() > 0:
            return after
        time.sleep(0.25)
    raise AssertionError("the edge image did not change after moving the slider")


def _move_sliders_and_check(page, name: str) -> None:
    try:
        edge_image = page.locator("img.widget-image").nth(1)  # [original, edges] of the explorer
        edge_image.wait_for(timeout=60_000)
        time.sleep(0.5)
        first = _pixels(edge_image)
        _press(page, 0, "ArrowRight", 5)          # τ: 5 → 10 ms
        second = _wait_for_change(edge_image, first)
        _press(page, 1, "ArrowRight", 4)          # θ: 0.5 → 0.7
        _wait_for_change(edge_image, second)
        errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-error')
        assert errors.count() == 0, f"{errors.count()} error output(s): {errors.first.inner_text()[:500]}"
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def test_notebook_05_in_jupyterlab(site, browser, tmp_path):
    port = _free_port()
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={site}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True"]
    env = {"JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    server = _server(cmd, site, env, f"http://127.0.0.1:{port}/api/status", tmp_path / "lab.log")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/{NOTEBOOK}", timeout=90_000)
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_function("() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                               ".some(e => /\\| Idle$/.test(e.textContent.trim()))", timeout=90_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-InputPrompt').length > 0 && ![...document.querySelectorAll"
            "('.jp-InputPrompt')].some(e => e.textContent.includes('*'))", timeout=240_000, polling=500)
        page.wait_for_function("() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                               ".some(e => /\\| Idle$/.test(e.textContent.trim()))", timeout=60_000)
        page.locator("img.widget-image").nth(1).scroll_into_view_if_needed()
        _move_sliders_and_check(page, "jupyterlab")
    finally:
        page.close()
        server.terminate()
        server.wait(timeout=30)


def test_notebook_05_in_voila(site, browser, tmp_path):
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or shutil.which("voila")
    if voila is None:
        pytest.skip("voila is not installed (it is in requirements.txt)")
    port = _free_port()
    cmd = [voila, f"notebooks/{NOTEBOOK}", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    server = _server(cmd, site, {"JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")},
                     str(port), tmp_path / "voila.log")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        page.wait_for_selector("img.widget-image", timeout=180_000)
        assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0  # code hidden
        _move_sliders_and_check(page, "voila")
    finally:
        page.close()
        server.terminate()
        server.wait(timeout=30)
