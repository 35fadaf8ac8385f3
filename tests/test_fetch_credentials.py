"""Where the fetch credentials come from, and that they show nowhere."""

from __future__ import annotations

import os
import pickle

import pytest

from analysis.fetch.credentials import CredentialsError, Secret, acled_login, credentials_file, redact, ucdp_token

FILE = '[acled]\nemail = "me@example.org"\npassword = "file-Pa55"\n\n[ucdp]\ntoken = "file-T0ken"\n'


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    for name in ("ACLED_EMAIL", "ACLED_PASSWORD", "UCDP_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "home" / "credentials.toml"
    path.parent.mkdir()
    monkeypatch.setenv("ANALYSIS_CREDENTIALS", str(path))
    monkeypatch.delenv("ANALYSIS_PROJECT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # outside any project
    return path


def write(path, text, mode):
    path.write_text(text)
    os.chmod(path, mode)


def test_the_environment_wins_over_the_file(no_env, monkeypatch):
    write(no_env, FILE, 0o600)
    monkeypatch.setenv("ACLED_PASSWORD", "env-Pa55")
    login = acled_login()
    assert (login.email, login.password.reveal()) == ("me@example.org", "env-Pa55")
    assert ucdp_token().reveal() == "file-T0ken"


def test_a_file_others_can_read_is_refused(no_env):
    write(no_env, FILE, 0o644)
    with pytest.raises(CredentialsError, match=r"has mode 0644: others can read it; run `chmod 600 "):
        acled_login()


def test_a_symlinked_file_is_refused(no_env, tmp_path):
    target = tmp_path / "real.toml"
    write(target, FILE, 0o600)
    no_env.symlink_to(target)
    with pytest.raises(CredentialsError, match="is not a regular file"):
        ucdp_token()


def test_a_file_inside_the_project_is_refused(no_env, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "analysis.toml").write_text("")
    inside = project / "credentials.toml"
    write(inside, FILE, 0o600)
    monkeypatch.setenv("ANALYSIS_CREDENTIALS", str(inside))
    monkeypatch.chdir(project)
    with pytest.raises(CredentialsError, match="lies inside the project"):
        acled_login()


def test_missing_credentials_name_the_variables_and_the_file(no_env):
    with pytest.raises(CredentialsError) as caught:
        acled_login()
    assert str(caught.value).startswith("missing ACLED_EMAIL, ACLED_PASSWORD: set the environment variable(s), or "
                                        "put [acled] email, [acled] password in ")
    assert str(no_env) in str(caught.value)


def test_a_malformed_file_is_named_without_its_values(no_env):
    write(no_env, '[ucdp]\ntoken = "file-T0ken\n', 0o600)
    with pytest.raises(CredentialsError) as caught:
        ucdp_token()
    assert "is not valid TOML" in str(caught.value) and "file-T0ken" not in str(caught.value)


def test_secrets_never_show_themselves():
    secret = Secret("s3cr3t value")
    assert (str(secret), repr(secret), f"{secret}", repr([secret])) == ("***", "Secret('***')", "***", "[Secret('***')]")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert redact("user=me&password=s3cr3t+value, raw s3cr3t value, s3cr3t%20value", secret) == \
        "user=me&password=***, raw ***, ***"


def test_the_default_file_is_in_the_users_config(monkeypatch, tmp_path):
    monkeypatch.delenv("ANALYSIS_CREDENTIALS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert credentials_file() == tmp_path / "analysis" / "credentials.toml"
