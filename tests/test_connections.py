"""Issue 14, item 5: slow clients and request values placed into served documents.

A client that trickles its request (a header byte, or a body byte, every few hundred
milliseconds, never idle long enough for the idle timeout) is cut off at the header or
body deadline, so clients above the connection cap cannot hold everyone else out. The
Host header is used in the served WSDL and in Autodiscover answers only when it is a
valid host[:port]; anything else gives the server's own address."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time

import requests
from lxml import etree

from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.tls.ca import local_tls_files

from .ews import Soap, envelope
from .test_autodiscover import NS as AD_NS
from .test_autodiscover import pox_request

GET_INBOX = ('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def trickle(port: int, opening: bytes, byte: bytes, stop: threading.Event, closed: list) -> None:
    """Send ``opening``, then ``byte`` every 0.3 s until told to stop or cut off."""
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        return
    try:
        conn.sendall(opening)
        conn.settimeout(0.3)
        while not stop.is_set():
            try:
                if conn.recv(1024) == b"":
                    closed.append(time.monotonic())
                    return
            except TimeoutError:
                pass
            except OSError:
                closed.append(time.monotonic())
                return
            try:
                conn.sendall(byte)
            except OSError:
                closed.append(time.monotonic())
                return
    finally:
        conn.close()


def crowd(port: int, opening: bytes, byte: bytes, count: int):
    stop, closed = threading.Event(), []
    threads = [threading.Thread(target=trickle, args=(port, opening, byte, stop, closed), daemon=True)
               for _ in range(count)]
    for t in threads:
        t.start()
    return stop, closed, threads


def test_trickling_clients_above_the_cap_are_cut_off_at_the_deadlines():
    config = ServerConfig(port=0, connection_limit=12, header_timeout=2.0, body_timeout=4.0)
    with EmulatorServer(config) as server:
        headers = b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        body = headers + b"Content-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<"
        stop_h, closed_h, slow_h = crowd(server.port, headers, b"X", 10)
        stop_b, closed_b, slow_b = crowd(server.port, body, b" ", 10)
        try:
            time.sleep(0.5)  # every slot is taken by a trickling client
            began = time.monotonic()
            answer = Soap(server.endpoint, "AlexW@contoso.com").call(GET_INBOX)
            waited = time.monotonic() - began
            assert answer.response_codes == ["NoError"]
            assert waited < 8, waited  # a deadline freed a slot, not the clients giving up
            time.sleep(5)
            assert len(closed_h) == 10 and len(closed_b) == 10, (len(closed_h), len(closed_b))
        finally:
            stop_h.set()
            stop_b.set()
            for t in slow_h + slow_b:
                t.join(timeout=5)


def test_a_slow_but_steady_upload_within_the_deadline_is_answered():
    config = ServerConfig(port=0, header_timeout=2.0, body_timeout=4.0)
    with EmulatorServer(config) as server:
        soap = Soap(server.endpoint, "AlexW@contoso.com")
        data = envelope(GET_INBOX)
        auth = base64.b64encode(b"AlexW@contoso.com:alex-demo-pw").decode()
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        conn.sendall(f"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
                     f"Content-Type: text/xml; charset=utf-8\r\nContent-Length: {len(data)}\r\n\r\n".encode())
        for start in range(0, len(data), len(data) // 4 + 1):  # in four parts over 1.5 s
            conn.sendall(data[start:start + len(data) // 4 + 1])
            time.sleep(0.5)
        reply = b""
        while b"</s:Envelope>" not in reply:
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
        conn.close()
        assert reply.startswith(b"HTTP/1.1 200") and b"NoError" in reply, reply[:300]
        assert soap.call(GET_INBOX).response_codes == ["NoError"]


def raw_get(port: int, path: str, host: bytes) -> bytes:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
    reply = b""
    while chunk := conn.recv(65536):
        reply += chunk
    conn.close()
    return reply.partition(b"\r\n\r\n")[2]


def test_a_hostile_host_header_never_reaches_the_served_wsdl():
    with EmulatorServer(ServerConfig(port=0)) as server:
        own = f"127.0.0.1:{server.port}"
        for host in (b'evil"/><injected xmlns="urn:x"/><x a="', b"a b", b"<script>", b"host:99999999",
                     b"exa mple.com", b"h\xc3\xa9.example"):
            wsdl = etree.fromstring(raw_get(server.port, "/EWS/Services.wsdl", host))
            assert not wsdl.xpath("//*[local-name()='injected']")
            (address,) = wsdl.xpath("//*[local-name()='address']/@location")
            assert address == f"http://{own}/EWS/Exchange.asmx", (host, address)
        for host in (b"mail.example.com", b"mail.example.com:8443", b"[::1]:8765", b"10.0.0.5"):
            wsdl = etree.fromstring(raw_get(server.port, "/EWS/Services.wsdl", host))
            (address,) = wsdl.xpath("//*[local-name()='address']/@location")
            assert address == f"http://{host.decode()}/EWS/Exchange.asmx"
        r = requests.get(server.endpoint.replace("Exchange.asmx", "Services.wsdl"), timeout=10)
        assert f"http://{own}/EWS/Exchange.asmx".encode() in r.content


def test_a_hostile_host_header_never_reaches_autodiscover_answers():
    with EmulatorServer(ServerConfig(port=0)) as server:
        url = server.endpoint.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover.xml")
        for host, expected in (('evil"/><x', f"127.0.0.1:{server.port}"), ("mail.example.com", "mail.example.com")):
            answer = requests.post(url, data=pox_request("AdeleV@contoso.com"), timeout=10,
                                   auth=("AdeleV@contoso.com", "adele-demo-pw"),
                                   headers={"Content-Type": "text/xml; charset=utf-8", "Host": host})
            assert answer.status_code == 200, answer.content[:300]
            urls = etree.fromstring(answer.content).xpath("//o:EwsUrl/text()", namespaces=AD_NS)
            assert urls and set(urls) == {f"http://{expected}/EWS/Exchange.asmx"}, urls


def tls_trickle(port: int, ca: str, stop: threading.Event, closed: list) -> None:
    """Over TLS: a request's first header line, then a header byte every 0.3 s."""
    context = ssl.create_default_context(cafile=ca)
    try:
        conn = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                                   server_hostname="127.0.0.1")
        conn.sendall(b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.is_set():
            conn.sendall(b"X")
            time.sleep(0.3)
    except OSError:
        closed.append(time.monotonic())


def test_https_silent_and_trickling_clients_cannot_hold_the_server(tmp_path):
    """HTTPS (cheroot, a thread per request): more silent connections and trickling clients
    than request threads. Before: the handshake ran on the accepting thread, so one
    silent connection stalled every new client for the 60 s socket timeout, and tricklers
    held the threads for ever; now handshakes and requests have the deadlines."""
    files = local_tls_files(tmp_path / "tls", "127.0.0.1")
    config = ServerConfig(port=0, tls=files, threads=4, header_timeout=2.0, body_timeout=4.0)
    with EmulatorServer(config) as server:
        silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        stop, closed = threading.Event(), []
        slow = [threading.Thread(target=tls_trickle, args=(server.port, str(files.ca), stop, closed), daemon=True)
                for _ in range(6)]
        for t in slow:
            t.start()
        try:
            time.sleep(0.5)
            began = time.monotonic()
            answer = requests.get(server.endpoint.replace("Exchange.asmx", "Services.wsdl"),
                                  verify=str(files.ca), timeout=30)
            waited = time.monotonic() - began
            assert answer.status_code == 200 and b"Exchange.asmx" in answer.content
            assert waited < 10, waited
            time.sleep(6)
            assert len(closed) == 6, len(closed)  # every trickler cut off at its deadline
            assert [s.recv(1) for s in silent] == [b""] * 4  # and every silent connection closed
        finally:
            stop.set()
            for s in silent:
                s.close()
