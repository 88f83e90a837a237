"""Property-based run of schemathesis against a live hub, from the hub's own OpenAPI.

Every operation, signed in as a host, gets generated requests (bounded: a few hundred in
all): no answer may be a 5xx, and every answer must match the document: a successful one
the status, content type and body schema its route declares (`@answers`), an error the
one error body. Schemathesis is pinned in pyproject.toml's test extra.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from hubtesting import HubApi

from bidopen.http.openapi import OPENAPI_PATH
from hubprocess import HubProcess

ST = Path(sys.executable).with_name("st")
EXAMPLES_PER_OPERATION = 5


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: the run checks the description, not the database."""
    yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bidopen.db'}"


@pytest.mark.slow
async def test_no_5xx_and_every_answer_matches_the_document(
    hub_process: HubProcess, hub_client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    assert ST.exists() or shutil.which("st"), "schemathesis is part of the test extra"
    api = HubApi(hub_client)
    token = await api.login_host(hub_process.host_user, hub_process.host_password)
    await api.create_tender(deadline_in=60)
    run = await asyncio.create_subprocess_exec(
        str(ST),
        "run",
        f"{hub_process.base_url}{OPENAPI_PATH}",
        "--url",
        hub_process.base_url,
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        "13",
        "--generation-deterministic",
        # Logging out would end the token the run signs in with.
        "--exclude-path",
        "/api/logout",
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "10",
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    async with asyncio.timeout(300):
        output = (await run.communicate())[0].decode(errors="replace")
    assert run.returncode == 0, output[-6000:]
    assert "passed" in output and "generated" in output, output[-3000:]
