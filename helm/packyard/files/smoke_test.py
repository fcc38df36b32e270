"""`helm test`: the gateway is ready, and with an API key a package goes up and comes back.

Standard library only (the image has no pip). Environment: HELM_TEST_GATEWAY_URL (the gateway),
HELM_TEST_FEED, and optionally HELM_TEST_API_KEY (a global administrator's API key: the
feed is created when missing). Without a key only readiness is checked.
"""

import base64
import hashlib
import io
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

BASE = os.environ["HELM_TEST_GATEWAY_URL"].rstrip("/")
FEED = os.environ.get("HELM_TEST_FEED", "helm-test")
KEY = os.environ.get("HELM_TEST_API_KEY", "")
NAME = "packyard_helm_test"


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def digest(data):
    """A RECORD hash: urlsafe base64 of the sha256, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel(version):
    """A minimal valid wheel: METADATA, WHEEL and RECORD."""
    info = f"{NAME}-{version}.dist-info"
    files = {
        f"{NAME}/__init__.py": b"",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: packyard-helm-test\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},sha256={digest(data)},{len(data)}\n" for path, data in files.items())
    record += f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return out.getvalue()


def multipart(fields, filename, content):
    boundary = "packyard-helm-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main():
    status, _ = call("GET", "/readyz")
    print(f"GET /readyz: {status}")
    if not KEY:
        print("no API key given (helmTest.apiKeySecret): upload and download not checked")
        return 0
    auth = {"Authorization": "Basic " + base64.b64encode(f"__token__:{KEY}".encode()).decode()}
    try:
        call("GET", f"/api/v1/feeds/{FEED}", headers=auth)
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        call(
            "POST",
            "/api/v1/feeds",
            json.dumps({"name": FEED}).encode(),
            {**auth, "Content-Type": "application/json"},
        )
        print(f"created feed {FEED}")
    version = f"1.{time.time_ns()}"  # new on every run: a release's files cannot be replaced
    filename = f"{NAME}-{version}-py3-none-any.whl"
    content = wheel(version)
    digest = hashlib.sha256(content).hexdigest()
    body, content_type = multipart(
        {
            ":action": "file_upload",
            "protocol_version": "1",
            "metadata_version": "2.1",
            "name": NAME,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "sha256_digest": digest,
        },
        filename,
        content,
    )
    status, _ = call("POST", f"/pypi/{FEED}/legacy/", body, {**auth, "Content-Type": content_type})
    print(f"uploaded {filename}: {status}")
    _, page = call("GET", f"/pypi/{FEED}/simple/packyard-helm-test/", headers=auth)
    links = re.findall(r'href="([^"]*' + re.escape(filename) + r'[^"]*)"', page.decode())
    assert links, f"{filename} is not on the project page"
    link = links[0].replace("&amp;", "&")
    page_url = f"{BASE}/pypi/{FEED}/simple/packyard-helm-test/"
    url = urllib.parse.urljoin(page_url, link)
    with urllib.request.urlopen(urllib.request.Request(url, headers=auth), timeout=30) as response:
        downloaded = response.read()
    assert hashlib.sha256(downloaded).hexdigest() == digest, "the download differs from the upload"
    print(f"downloaded {filename}: sha256 matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
