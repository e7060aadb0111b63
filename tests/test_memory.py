"""Issue 14, item 3: memory goes back to the system after large requests
(ews_propose/memory.py). Before: a server that had answered a dozen 16 MB GetItems stayed
at about 380 MB resident, 300 MB above its size at start, however long it was idle."""

from __future__ import annotations

import time

from .ews import Soap
from .server_process import ServerProcess


def _kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_large_answers_do_not_keep_the_server_large():
    server = ServerProcess("--store", ":memory:")
    try:
        alex = Soap(server.endpoint, "AlexW@contoso.com")
        made = alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>big'
                         '</t:Subject><t:Body BodyType="Text">' + "x" * 1_000_000 + "</t:Body></t:Message>"
                         "</m:Items></m:CreateItem>")
        item_id = made.first("//t:Message/t:ItemId").get("Id")
        ids = f'<t:ItemId Id="{item_id}"/>' * 8  # about 16 MB of answer: Body and TextBody, 8 times
        request = ("<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
                   f"<m:ItemIds>{ids}</m:ItemIds></m:GetItem>")
        assert alex.call(request).response_codes == ["NoError"] * 8  # warm: every code path loaded
        time.sleep(1)
        settled = _kb(server.proc.pid, "VmRSS")
        for _ in range(12):
            answer = alex.call(request)
            assert len(answer.content) > 15_000_000 and answer.response_codes == ["NoError"] * 8
        deadline = time.monotonic() + 10
        while _kb(server.proc.pid, "VmRSS") > settled + 40_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = _kb(server.proc.pid, "VmRSS")
        assert after <= settled + 40_000, (settled, after)
        assert _kb(server.proc.pid, "VmHWM") <= settled + 200_000  # the peak: about four answers' worth
    finally:
        server.kill()
