"""API key sources, their order, and what a bad key file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gaobench.metering.credentials import CredentialError, resolve_api_key

KEY_A, KEY_B, KEY_C, KEY_D = (f"sk-ant-{n}-" + "x" * 30 for n in "abcd")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"  {KEY_B}\n")
    key_file.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(f'api_key = "{KEY_D}"\n')
    return {"key_file": key_file, "config": config}


def test_sources_in_order(files: dict[str, Path]) -> None:
    env = {"ANTHROPIC_API_KEY": KEY_C}
    everything = resolve_api_key(explicit=KEY_A, key_file=files["key_file"], environ=env,
                                 config_file=files["config"])
    assert (everything.value, everything.source) == (KEY_A, "--api-key")
    from_file = resolve_api_key(key_file=files["key_file"], environ=env,
                                config_file=files["config"])
    assert from_file.value == KEY_B and from_file.source.startswith("--api-key-file")
    from_env = resolve_api_key(environ=env, config_file=files["config"])
    assert (from_env.value, from_env.source) == (KEY_C, "ANTHROPIC_API_KEY")
    from_config = resolve_api_key(environ={}, config_file=files["config"])
    assert from_config.value == KEY_D and "config.toml" in from_config.source


def test_config_file_may_name_a_key_file(tmp_path: Path, files: dict[str, Path]) -> None:
    config = tmp_path / "other.toml"
    config.write_text('api_key_file = "key.txt"\n')  # relative to the config file
    key = resolve_api_key(environ={"GAOBENCH_CONFIG": str(config)})
    assert key.value == KEY_B


def test_the_key_is_never_in_its_repr_or_str(files: dict[str, Path]) -> None:
    key = resolve_api_key(key_file=files["key_file"], environ={})
    assert KEY_B not in repr(key) and KEY_B not in str(key)
    assert str(key) == f"API key from --api-key-file {files['key_file']}"


def test_loose_permissions_warn(files: dict[str, Path]) -> None:
    files["key_file"].chmod(0o644)
    key = resolve_api_key(key_file=files["key_file"], environ={})
    assert key.warnings == (f"API key file {files['key_file']} is readable by other users "
                            f"(mode 644); run: chmod 600 {files['key_file']}",)
    files["key_file"].chmod(0o600)
    assert resolve_api_key(key_file=files["key_file"], environ={}).warnings == ()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"environ": {}},
     "no Anthropic API key: pass --gaobench-api-key-file (gao-dev: --api-key-file)"),
    ({"key_file": "/nonexistent/key", "environ": {}},
     "cannot read the API key file /nonexistent/key: No such file or directory"),
    ({"explicit": "  ", "environ": {"ANTHROPIC_API_KEY": "x"}},
     "the API key from --api-key is empty or contains spaces"),
    ({"environ": {"ANTHROPIC_API_KEY": "two words"}},
     "the API key from ANTHROPIC_API_KEY is empty or contains spaces"),
])
def test_missing_and_bad_keys(kwargs: dict[str, object], message: str,
                              tmp_path: Path) -> None:
    kwargs.setdefault("config_file", tmp_path / "absent.toml")
    with pytest.raises(CredentialError) as caught:
        resolve_api_key(**kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_config_without_a_key_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("model = 'x'\n")
    with pytest.raises(CredentialError, match="has neither api_key nor api_key_file"):
        resolve_api_key(environ={}, config_file=config)


def test_an_unreachable_provider_api_is_named_and_not_waited_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No route, no name or nothing listening: the message names the host and the
    variable that points elsewhere, and does not say to try again later."""
    from pytest_gaobench.metering.credentials import ApiKey
    from pytest_gaobench.metering.key_check import ApiUnavailable, validate_provider_key
    from pytest_gaobench.metering.providers import PROVIDERS

    provider = PROVIDERS["openai"]
    monkeypatch.setenv(provider.base_url_env, "http://127.0.0.1:9")
    with pytest.raises(ApiUnavailable) as caught:
        validate_provider_key(ApiKey("sk-test-" + "k" * 30, "OPENAI_API_KEY"), provider)
    said = str(caught.value)
    assert said.startswith("could not reach the OpenAI API: nothing answered at 127.0.0.1 "
                           "port 9 (")
    assert f"or {provider.base_url_env} (http://127.0.0.1:9)" in said
    assert "try again later" not in said and "sk-test" not in said
