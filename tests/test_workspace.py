"""The review workspace through Starlette's TestClient, over a real rules review of the sample:
pages, forms, decisions landing in decisions.json, and the CSRF, Host and Origin guards."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from pipeline import review_index
from pipeline.decisions import decisions_path, load_decisions, load_review
from pipeline.errors import InputError
from pipeline.models.rules import RulesModel
from pipeline.review import ReviewOptions, run_review
from pipeline.workspace.app import create_app
from pipeline.workspace.server import bind, check_host

BASE = "http://127.0.0.1"


@pytest.fixture
def client(review_dir: Path) -> TestClient:
    review_index.register(review_dir)
    return TestClient(create_app(reviewer="A. Cdo"), base_url=BASE)


def _rid(review_dir: Path) -> str:
    return review_index.review_id(review_dir)


def _token(client: TestClient, review_dir: Path) -> str:
    page = client.get(f"/reviews/{_rid(review_dir)}").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _post(client: TestClient, review_dir: Path, item: str, **form: str):  # type: ignore[no-untyped-def]
    url = f"/reviews/{_rid(review_dir)}/items/{item}"
    return client.post(url, data=form, follow_redirects=False)


def _section(page: str, item_id: str) -> str:
    start = page.index(f'<section class="finding" id="item-{item_id}"')
    return page[start : page.index("</section>", start)]


# ---------------------------------------------------------------- the index


def test_index_lists_each_folder_once_and_skips_missing_ones(
    review_dir: Path, tmp_path: Path
) -> None:
    review_index.register(review_dir)
    review_index.register(review_dir)
    gone = Path(shutil.copytree(review_dir, tmp_path / "gone"))
    review_index.register(gone)
    extra = Path(shutil.copytree(review_dir, tmp_path / "extra"))
    assert [e.path for e in review_index.known_reviews()] == [str(review_dir), str(gone)]
    shutil.rmtree(gone)
    found = review_index.known_reviews([extra, review_dir])
    assert [e.path for e in found] == [str(review_dir), str(extra)]
    assert found[0].id == review_index.review_id(review_dir) != found[1].id
    saved = json.loads(review_index.index_path().read_text(encoding="utf-8"))
    assert len(saved["reviews"]) == 2  # the missing folder is skipped when read, not forgotten


def test_a_damaged_index_is_read_as_empty_and_rewritten(review_dir: Path) -> None:
    review_index.index_path().write_text("{not json", encoding="utf-8")
    assert review_index.known_reviews() == []
    review_index.register(review_dir)
    assert [e.path for e in review_index.known_reviews()] == [str(review_dir)]


def test_a_review_adds_its_folder_to_the_index_only_with_review_json(
    corpus_home: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "plan.md"
    doc.write_text("# Kestrelford Digital Plan\n\nWe will test every service with users.\n")
    options = ReviewOptions(only=["user_centred"])
    run_review(doc, tmp_path / "html-only", RulesModel(), options, formats=["html"])
    assert review_index.known_reviews() == []
    run_review(doc, tmp_path / "out", RulesModel(), options)
    run_review(doc, tmp_path / "out", RulesModel(), options)  # a re-run is listed once
    assert [e.path for e in review_index.known_reviews()] == [str(tmp_path / "out")]


# ---------------------------------------------------------------- pages


def test_list_and_review_pages_show_every_finding(client: TestClient, review_dir: Path) -> None:
    review = load_review(review_dir)
    listing = client.get("/")
    assert listing.status_code == 200
    assert review.document.title in listing.text and review.model.id in listing.text
    assert f'href="/reviews/{_rid(review_dir)}"' in listing.text
    assert re.findall(r'<td class="num">(\d+)</td>', listing.text) == ["0", "0", "0", "22"]

    page = client.get(f"/reviews/{_rid(review_dir)}")
    assert page.status_code == 200
    assert page.text.count('<section class="finding"') == len(review.items) == 22
    item = next(i for i in review.items if any(ev.page_label for ev in i.evidence))
    section = _section(page.text, item.id)
    assert "Decision: Undecided" in section and "Draft: " in section
    assert f"p. {item.evidence[0].page_label}" in section  # the printed page label
    assert "Content-Security-Policy" in page.headers and "<script" not in page.text
    for control in re.findall(r'<(?:select|textarea)[^>]*id="([^"]+)"', page.text):
        assert f'<label for="{control}">' in page.text  # every control has a label


def test_a_kept_model_finding_shows_its_notes_to_the_person_deciding(
    client: TestClient, review_dir: Path
) -> None:
    data = json.loads((review_dir / "review.json").read_text())
    item = data["items"][0]
    item.update(confidence="model", unfound_figures=["£12 million"], checks_rating="green")
    item.update(rating="red", disagreement=True)
    (review_dir / "review.json").write_text(json.dumps(data))
    section = _section(client.get(f"/reviews/{_rid(review_dir)}").text, item["id"])
    assert "Check the figures: the finding gives £12 million, not found" in section
    assert "Model and checks disagree: check this." in section
    other = _section(client.get(f"/reviews/{_rid(review_dir)}").text, data["items"][1]["id"])
    assert "Note:" not in other  # a rules finding has no model notes


def test_a_folder_given_to_serve_is_listed_without_being_indexed(review_dir: Path) -> None:
    client = TestClient(create_app([review_dir]), base_url=BASE)
    assert f'href="/reviews/{_rid(review_dir)}"' in client.get("/").text
    assert client.get(f"/reviews/{_rid(review_dir)}").status_code == 200
    assert review_index.known_reviews() == []


def test_unknown_review_or_a_path_in_the_url_is_not_found(
    client: TestClient, review_dir: Path
) -> None:
    assert client.get("/reviews/000000000000").status_code == 404
    assert client.get(f"/reviews/{review_dir}").status_code == 404
    assert client.get("/reviews/..%2F..%2Fetc").status_code == 404


# ---------------------------------------------------------------- decisions


def test_accept_edit_reject_and_undo_land_in_decisions_json(
    client: TestClient, review_dir: Path
) -> None:
    first, second, third = [i.id for i in load_review(review_dir).items[:3]]
    token = _token(client, review_dir)
    accepted = _post(client, review_dir, first, csrf=token, action="accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/reviews/{_rid(review_dir)}#item-{first}"
    edited = _post(
        client,
        review_dir,
        second,
        csrf=token,
        action="edit",
        rating="red",
        finding="No <b>owner</b> is named.",
        recommendations="Name an owner.\n\n  Publish a plan.  \n",
    )
    assert edited.status_code == 303
    rejected = _post(client, review_dir, third, csrf=token, action="reject", reason="Misread.")
    assert rejected.status_code == 303

    log = load_decisions(review_dir)
    assert {k: d.action for k, d in log.decisions.items()} == {
        first: "accept",
        second: "edit",
        third: "reject",
    }
    edit = log.decisions[second].edited
    assert edit and edit.rating == "red" and edit.summary == "No <b>owner</b> is named."
    assert edit.recommendations == ["Name an owner.", "Publish a plan."]
    assert log.decisions[third].reason == "Misread." and log.decisions[first].reviewer == "A. Cdo"

    page = client.get(f"/reviews/{_rid(review_dir)}").text
    assert "No &lt;b&gt;owner&lt;/b&gt; is named." in page and "<b>owner" not in page
    assert "Decision: Rejected" in _section(page, third) and "Misread." in _section(page, third)
    listing = client.get("/").text
    assert re.findall(r'<td class="num">(\d+)</td>', listing) == ["1", "1", "1", "19"]

    assert _post(client, review_dir, third, csrf=token, action="undo").status_code == 303
    assert third not in load_decisions(review_dir).decisions


def test_reject_without_reason_shows_the_error_and_writes_nothing(
    client: TestClient, review_dir: Path
) -> None:
    item = load_review(review_dir).items[4].id
    answer = _post(client, review_dir, item, csrf=_token(client, review_dir), action="reject")
    assert answer.status_code == 400
    section = _section(answer.text, item)
    assert "Error: a reason is required" in section and 'role="alert"' in section
    assert 'aria-invalid="true"' in section and "<details open>" in section
    assert "Traceback" not in answer.text
    assert not decisions_path(review_dir).exists()


def test_a_failed_edit_keeps_what_the_user_typed(client: TestClient, review_dir: Path) -> None:
    item = load_review(review_dir).items[5].id
    typed = "Ask the board to name an owner & a date."
    answer = _post(
        client,
        review_dir,
        item,
        csrf=_token(client, review_dir),
        action="edit",
        rating="amber",
        finding="   ",
        recommendations=typed,
    )
    assert answer.status_code == 400
    section = _section(answer.text, item)
    assert "Error: a finding is required" in section
    assert "Ask the board to name an owner &amp; a date.</textarea>" in section
    assert '<option value="amber" selected>' in section
    assert not decisions_path(review_dir).exists()


def test_a_decision_on_a_changed_draft_is_flagged(client: TestClient, review_dir: Path) -> None:
    item = load_review(review_dir).items[0].id
    _post(client, review_dir, item, csrf=_token(client, review_dir), action="accept")
    data = json.loads((review_dir / "review.json").read_text(encoding="utf-8"))
    data["items"][0]["summary"] = "A different draft after a re-run."
    (review_dir / "review.json").write_text(json.dumps(data), encoding="utf-8")
    section = _section(client.get(f"/reviews/{_rid(review_dir)}").text, item)
    assert "Changed since decided:" in section and "draft finding has changed" in section
    assert "1 decision to check again" in client.get("/").text


# ---------------------------------------------------------------- guards


def test_posts_without_the_token_or_from_another_site_are_refused(
    client: TestClient, review_dir: Path
) -> None:
    item = load_review(review_dir).items[0].id
    assert _post(client, review_dir, item, action="accept").status_code == 403
    assert _post(client, review_dir, item, csrf="guess", action="accept").status_code == 403
    token = _token(client, review_dir)
    url = f"/reviews/{_rid(review_dir)}/items/{item}"
    cross = client.post(
        url, data={"csrf": token, "action": "accept"}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    as_json = client.post(url, json={"csrf": token, "action": "accept"})
    assert as_json.status_code == 415
    assert not decisions_path(review_dir).exists()
    fresh = TestClient(create_app(), base_url=BASE)  # another process has another secret
    assert fresh.post(url, data={"csrf": token, "action": "accept"}).status_code == 403


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "rebind.example:8421"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8421"}).status_code == 200


def test_unknown_item_or_action_is_handled_without_writing(
    client: TestClient, review_dir: Path
) -> None:
    token = _token(client, review_dir)
    assert _post(client, review_dir, "nope", csrf=token, action="accept").status_code == 404
    item = load_review(review_dir).items[0].id
    odd = _post(client, review_dir, item, csrf=token, action="delete")
    assert odd.status_code == 400 and "unknown action" in odd.text
    assert not decisions_path(review_dir).exists()


def test_the_server_listens_on_loopback_only() -> None:
    assert check_host("localhost") == "127.0.0.1"
    for host in ("0.0.0.0", "::", "192.168.1.4", "example.org"):
        with pytest.raises(InputError, match="only listens on 127.0.0.1"):
            check_host(host)
    taken = bind(0)
    try:
        assert taken.getsockname()[0] == "127.0.0.1"
        with pytest.raises(InputError, match="cannot listen"):
            busy = socket.socket()
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            try:
                bind(busy.getsockname()[1])
            finally:
                busy.close()
    finally:
        taken.close()


@pytest.mark.slow
def test_serve_prints_its_url_answers_on_loopback_and_stops_on_ctrl_c(review_dir: Path) -> None:
    main = "from pipeline.cli.app import main; main()"
    command = [sys.executable, "-c", main, "serve", str(review_dir), "--port", "0"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        page = httpx.get(found.group(0), timeout=10)
        assert page.status_code == 200 and f"/reviews/{_rid(review_dir)}" in page.text
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and "Traceback" not in err
