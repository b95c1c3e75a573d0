"""Browser fixtures: two builds of one git history served over HTTP, and Debian's Chromium."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

import chromium
from gitrepo import POLICY_FILE, ROOT, GitRepo, mkdocs_build


V1_DATE = "2026-03-02T10:00:00+13:00"
V2_DATE = "2026-06-01T10:00:00+12:00"
RECORDING = re.compile(r"(Note that we generally record outbound calls for operational and\s+training purposes\.)")
"""Version 2 changes one clause only: call-recording (this sentence ends its body)."""
V3_DATE = "2026-07-01T10:00:00+12:00"
EXPLANATION = re.compile(r"Two business days from Monday is")
"""In the explanation of question complaints-acknowledge (item "complaints" of All staff)."""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


@pytest.fixture(scope="session")
def sites(tmp_path_factory) -> Path:
    """``one/``: version 1 in force; ``two/``: version 2 (one clause changed); ``three/``: version 2
    after a training-only edit.

    Both are served from one origin, as one site is before and after a release,
    so progress kept in localStorage carries from one to the other.
    """
    tmp = tmp_path_factory.mktemp("training-sites")
    repo = GitRepo.project(tmp / "project")
    repo.commit("Publish the privacy policy with training", V1_DATE)
    served = tmp / "www"
    built = mkdocs_build(repo.path, served / "one", today="2026-03-10")
    assert built.returncode == 0, built.stderr
    text = repo.read(POLICY_FILE)
    changed, found = RECORDING.subn(r"\1 We keep call recordings for twelve months.", text)
    assert found == 1
    repo.write_policy(changed)
    repo.commit("Say how long call recordings are kept", V2_DATE)
    built = mkdocs_build(repo.path, served / "two", today="2026-06-10")
    assert built.returncode == 0, built.stderr
    # ``three/``: a training-only edit (an explanation reworded): still version 2.
    text = repo.read(POLICY_FILE)
    changed, found = EXPLANATION.subn("Monday plus two business days is", text)
    assert found == 1
    repo.write_policy(changed)
    repo.commit("Reword an explanation", V3_DATE)
    built = mkdocs_build(repo.path, served / "three", today="2026-07-10")
    assert built.returncode == 0, built.stderr
    return served


@pytest.fixture(scope="session")
def base_url(sites: Path):
    handler = functools.partial(_Quiet, directory=str(sites))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one module: sync Playwright cannot run twice at once, and other test
    modules start their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = chromium.launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh browser profile (empty localStorage) that fails the test on any script error
    or on any request to another origin."""
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:"))
          else foreign.append(r.url))
    yield pg
    context.close()
    assert not errors, f"script errors: {errors}"
    assert not foreign, f"requests to other origins: {foreign}"


@pytest.fixture(scope="session")
def answer_key():
    """The correct choice ids of every question, read from the policy source itself."""
    from generator.content import loader

    policy = loader.load_policy(ROOT / POLICY_FILE)
    return {q.id: q for _, q in policy.training_questions()}
