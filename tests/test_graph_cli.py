"""`ews-propose serve` serves Graph on the EWS port and names it in the banner."""

from __future__ import annotations

import requests

from .test_cli import ENDPOINT_LINE, serving


def test_banner_names_graph_and_demo_tokens(tmp_path):
    with serving("--store", str(tmp_path / "s.sqlite3")) as (endpoint, lines):
        port = ENDPOINT_LINE.search(endpoint).group(2)
        banner = "".join(lines)
        assert f"Graph:  http://127.0.0.1:{port}/v1.0/" in banner
        for token in ("alex-demo-graph-token", "adele-demo-graph-token", "megan-demo-graph-token",
                      "rainier-demo-graph-token"):
            assert token in banner
        r = requests.get(f"http://127.0.0.1:{port}/v1.0/me", timeout=10,
                         headers={"Authorization": "Bearer adele-demo-graph-token"})
        assert r.status_code == 200 and r.json()["mail"] == "AdeleV@contoso.com"


def test_directory_file_tokens_sign_in_and_stay_secret(tmp_path):
    directory = tmp_path / "dir.toml"
    directory.write_text('[[mailbox]]\nsmtp = "pat@example.org"\nname = "Pat Example"\n'
                         'token = "pat-secret-token-0123456789"\n')
    with serving("--store", ":memory:", "--directory", str(directory)) as (endpoint, lines):
        assert "pat-secret-token-0123456789" not in "".join(lines)
        root = endpoint.replace("/EWS/Exchange.asmx", "/v1.0")
        r = requests.get(root + "/me", headers={"Authorization": "Bearer pat-secret-token-0123456789"}, timeout=10)
        assert r.json()["displayName"] == "Pat Example"
        r = requests.get(root + "/me", headers={"Authorization": "Bearer alex-demo-graph-token"}, timeout=10)
        assert r.status_code == 401
