"""Every upload refusal of issue 3 item 3 / RELIABILITY.md §5 A that the gateway path meets.

Each case sends the legacy form the way twine does with one thing wrong, and checks the
status, the one-line message (Warehouse's wording where twine users know it) and that nothing
was stored: no page entry, no file URL, and no object in the blob store for those bytes.
test_upload_refusals.py covers wrong sha256, sdist version mismatch, oversize, traversal and
.exe filenames and the JSON error form; they are not repeated here.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from minio import Minio
from minio.error import S3Error
from packyard.protocol.names import normalize
from packyard.up import Stack
from packyard_rpc.v1 import metadata_pb2, metadata_pb2_grpc

from tests.fixtures.dists import build_sdist, build_wheel, dist_name
from tests.fixtures.readme_dists import build_readme_wheel
from tests.fixtures.tls import sync_service_channel
from tests.fixtures.uploads import post_file, upload_fields

EXTENSION = "Invalid file extension: Use .tar.gz, .whl or .zip extension."
DIGEST_MISMATCH = "The digest supplied does not match a digest calculated from the uploaded file."
BAD_NAME = "is an invalid value for Name. Error: Start and end with a letter or numeral"


@pytest.fixture(scope="module")
def blobs(stack: Stack) -> Minio:
    env = stack.env
    return Minio(
        env["PACKYARD_S3_ENDPOINT"],
        access_key=env["PACKYARD_S3_ACCESS_KEY"],
        secret_key=env["PACKYARD_S3_SECRET_KEY"],
        secure=env.get("PACKYARD_S3_SECURE") == "true",
    )


def _stored(stack: Stack, blobs: Minio, data: bytes) -> bool:
    digest = hashlib.sha256(data).hexdigest()
    try:
        blobs.stat_object(
            stack.env["PACKYARD_S3_BUCKET"], f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
        )
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return False
        raise
    return True


def _assert_nothing_stored(
    stack: Stack, blobs: Minio, project: str, filename: str, data: bytes
) -> None:
    page = httpx.get(stack.index_url() + normalize(project) + "/")
    assert page.status_code == 404 or filename not in page.text
    quoted = quote(filename, safe="")
    file = httpx.get(f"{stack.base_url}/pypi/main/packages/{normalize(project)}/{quoted}")
    assert file.status_code == 404
    assert not _stored(stack, blobs, data), "no object for refused bytes"


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return path


def _wheel_members(name: str, version: str, *, metadata: str | None = None) -> dict[str, bytes]:
    dist = dist_name(name)
    info = f"{dist}-{version}.dist-info"
    return {
        f"{dist}/__init__.py": b"",
        f"{info}/METADATA": (
            metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": b"",
    }


def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in members.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw.getvalue(), mtime=0))
    return path


# -- table of refusals ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """What to send: the file on disk, the form, and the filename in the multipart part."""

    path: Path
    fields: dict[str, str | list[str]]
    filename: str
    project: str


Maker = Callable[[Path, str], Case]


def _wheel_case(tmp: Path, name: str, **overrides: str) -> Case:
    wheel = build_wheel(tmp, name, "1.0")
    return Case(wheel, upload_fields(wheel, name, "1.0", **overrides), wheel.name, name)


def _tagged(tag: str, wheel_tags: list[str] | None = None) -> Maker:
    def make(tmp: Path, name: str) -> Case:
        wheel = build_wheel(tmp, name, "1.0", tag=tag, wheel_tags=wheel_tags)
        return Case(wheel, upload_fields(wheel, name, "1.0"), wheel.name, name)

    return make


def _renamed(tmp: Path, name: str, filename: str, *, sdist: bool = False) -> Case:
    path = (build_sdist if sdist else build_wheel)(tmp, name, "1.0")
    fields = upload_fields(path, name, "1.0")
    return Case(path, fields, filename, name)


def _raw(tmp: Path, name: str, path: Path, version: str = "1.0", **overrides: str) -> Case:
    return Case(path, upload_fields(path, name, version, **overrides), path.name, name)


def _wheel_with(members: Callable[[str], dict[str, bytes]]) -> Maker:
    def make(tmp: Path, name: str) -> Case:
        path = _zip(tmp / f"{dist_name(name)}-1.0-py3-none-any.whl", members(name))
        return _raw(tmp, name, path)

    return make


def _without(member: str) -> Callable[[str], dict[str, bytes]]:
    def members(name: str) -> dict[str, bytes]:
        found = _wheel_members(name, "1.0")
        return {k: v for k, v in found.items() if not k.endswith(f".dist-info/{member}")}

    return members


def _zip_bomb(name: str) -> dict[str, bytes]:
    return {**_wheel_members(name, "1.0"), f"{dist_name(name)}/zeros.bin": bytes(70 * 2**20)}


def _unsafe_wheel(name: str) -> dict[str, bytes]:
    return {**_wheel_members(name, "1.0"), "../../etc/passwd": b"root:x:0:0\n"}


def _sdist_with(members: Callable[[str], dict[str, bytes]]) -> Maker:
    def make(tmp: Path, name: str) -> Case:
        path = _tar_gz(tmp / f"{dist_name(name)}-1.0.tar.gz", members(name))
        return _raw(tmp, name, path)

    return make


def _pkg_info(name: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n".encode()


def _other_version_wheel(tmp: Path, name: str) -> Case:
    # METADATA says 1.1; the filename (and the .dist-info directory) say 1.0.
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.1\n\n"
    members = _wheel_members(name, "1.0", metadata=metadata)
    path = _zip(tmp / f"{dist_name(name)}-1.0-py3-none-any.whl", members)
    return Case(path, upload_fields(path, name, "1.1"), path.name, name)


def _other_project(tmp: Path, name: str) -> Case:
    wheel = build_wheel(tmp, name, "1.0")
    return Case(wheel, upload_fields(wheel, "bar", "1.0"), wheel.name, name)


def _hidden_requirement(tmp: Path, name: str) -> Case:
    # The wheel declares a dependency the form (what the user saw) does not.
    wheel = build_wheel(tmp, name, "1.0", requires_dist=["evil>=1"])
    return Case(wheel, upload_fields(wheel, name, "1.0"), wheel.name, name)


def _fields_as(**overrides: str | list[str]) -> Maker:
    def make(tmp: Path, name: str) -> Case:
        wheel = build_wheel(tmp, name, "1.0")
        fields = upload_fields(wheel, name, "1.0")
        for key, value in overrides.items():
            if value == "<drop>":
                fields.pop(key, None)
            else:
                fields[key] = value
        return Case(wheel, fields, wheel.name, name)

    return make


def _named(form_name: str) -> Maker:
    def make(tmp: Path, name: str) -> Case:
        wheel = build_wheel(tmp, name, "1.0")
        return Case(wheel, upload_fields(wheel, form_name, "1.0"), wheel.name, name)

    return make


REFUSALS: list[tuple[str, Maker, str]] = [
    # §5 A.5: eggs, wininst and dumb bdists are gone.
    ("filetype-egg", _fields_as(filetype="bdist_egg"),
     "Invalid value for filetype. Error: Use a known file type."),
    ("filetype-wininst", _fields_as(filetype="bdist_wininst"),
     "Invalid value for filetype. Error: Use a known file type."),
    ("filetype-missing", _fields_as(filetype="<drop>"),
     "Invalid value for filetype. Error: This field is required."),
    # §5 A.6
    ("ext-egg", lambda t, n: _renamed(t, n, f"{dist_name(n)}-1.0-py3.11.egg"), EXTENSION),
    ("ext-bz2", lambda t, n: _renamed(t, n, f"{dist_name(n)}-1.0.tar.bz2", sdist=True), EXTENSION),
    ("ext-msi", lambda t, n: _renamed(t, n, f"{dist_name(n)}-1.0.msi"), EXTENSION),
    ("ext-rpm", lambda t, n: _renamed(t, n, f"{dist_name(n)}-1.0-1.noarch.rpm"), EXTENSION),
    ("sdist-zip", lambda t, n: _renamed(t, n, f"{dist_name(n)}-1.0.zip", sdist=True), EXTENSION),
    # §5 A.7: digests.
    ("sha256-not-hex", _fields_as(sha256_digest="z" * 64),
     "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."),
    ("sha256-short", _fields_as(sha256_digest="a" * 63),
     "Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest."),
    ("no-digest", _fields_as(sha256_digest="<drop>", blake2_256_digest="<drop>",
                             md5_digest="<drop>"), "Include at least one message digest."),
    ("md5-only", _fields_as(sha256_digest="<drop>", blake2_256_digest="<drop>"),
     "Include a sha256_digest."),
    ("blake2-wrong", _fields_as(blake2_256_digest="0" * 64), DIGEST_MISMATCH),
    ("md5-wrong", _fields_as(md5_digest="0" * 32), DIGEST_MISMATCH),
    # §5 A.8-10: filename, name and version agree.
    ("wheel-other-project", _other_project, "Start filename for 'bar' with 'bar'."),
    ("wheel-version", _other_version_wheel, "Version in filename should be '1.1' not '1.0'."),
    ("sdist-pep625", lambda t, n: _renamed(t, n, f"{normalize(n)}-1.0.tar.gz", sdist=True),
     "is invalid, should be"),
    ("form-version", _fields_as(version="1.0-foo-bar"),
     "Form metadata does not match METADATA in the wheel: Version"),
    # Issue 17 item 4: wheel tags an installer can match, and the same ones as WHEEL's.
    ("platform-tag", _tagged("py3-none-foo_bar"),
     "has an unsupported platform tag 'foo_bar'."),
    ("wheel-file-tags", _tagged("py3-none-any", ["cp312-cp312-manylinux_2_17_x86_64"]),
     "has tags that differ from its WHEEL file"),
    # §5 A.13: filenames.
    ("backslash", lambda t, n: _renamed(t, n, "..\\evil-1.0.tar.gz", sdist=True),
     "Cannot upload a file with '/' or '\\' in the name."),
    ("del-char", lambda t, n: _renamed(t, n, "evil\x7f-1.0.tar.gz", sdist=True),
     "Cannot upload a file with non-printable characters"),
    ("too-long", lambda t, n: _renamed(t, n, "a" * 300 + "-1.0.tar.gz", sdist=True),
     "Filename is too long"),
    # §5 A.16: names.
    ("name-cyrillic", _named("requ\u0435sts"), BAD_NAME),
    ("name-newline", _named("foo\n"), BAD_NAME),
    ("name-leading-dash", _named("-foo"), BAD_NAME),
    ("name-trailing-dot", _named("foo."), BAD_NAME),
    # §5 A.19-20: archives are inspected, never extracted.
    ("not-a-zip", lambda t, n: _raw(t, n, _write(t / f"{dist_name(n)}-1.0-py3-none-any.whl",
                                                   b"not a zip " + n.encode())),
     "Invalid distribution file."),
    ("not-a-tar", lambda t, n: _raw(t, n, _write(t / f"{dist_name(n)}-1.0.tar.gz",
                                                   gzip.compress(b"plain " + n.encode()))),
     "Invalid distribution file."),
    ("zip-bomb", _wheel_with(_zip_bomb), "File exceeds compression ratio of 50"),
    ("bzip2-member", lambda t, n: _raw(t, n, _zip(t / f"{dist_name(n)}-1.0-py3-none-any.whl",
                                                   _wheel_members(n, "1.0"), zipfile.ZIP_BZIP2)),
     "Invalid distribution file."),
    ("no-metadata", _wheel_with(_without("METADATA")), "METADATA"),
    ("no-wheel-file", _wheel_with(_without("WHEEL")), "WHEEL"),
    ("no-record", _wheel_with(_without("RECORD")), "RECORD"),
    ("unsafe-zip-path", _wheel_with(_unsafe_wheel), "Unsafe member path"),
    ("sdist-no-pkg-info", _sdist_with(lambda n: {f"{dist_name(n)}-1.0/setup.py": b""}),
     "PKG-INFO"),
    ("sdist-absolute-path", _sdist_with(lambda n: {
        f"{dist_name(n)}-1.0/PKG-INFO": _pkg_info(n), "/etc/evil": b"x"}), "Unsafe member path"),
    ("sdist-traversal", _sdist_with(lambda n: {
        f"{dist_name(n)}-1.0/PKG-INFO": _pkg_info(n),
        f"{dist_name(n)}-1.0/../../evil": b"x"}), "Unsafe member path"),
    # §5 A.21: the artifact's metadata is what installers see; the form must agree.
    ("hidden-requires-dist", _hidden_requirement,
     "Form metadata does not match METADATA in the wheel: Requires-Dist"),
]  # fmt: skip


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in REFUSALS],
                         ids=[case_id for case_id, _, _ in REFUSALS])  # fmt: skip
def test_refusal(stack: Stack, blobs: Minio, tmp_path: Path, make: Maker, message: str) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    case = make(tmp_path, name)
    reply = post_file(stack, case.path, case.fields, filename=case.filename)
    assert reply.status_code == 400, reply.text
    assert message in reply.text, reply.text
    assert "\n" not in reply.text.rstrip("\n"), "one line"
    assert reply.headers["content-type"].startswith("text/plain")
    _assert_nothing_stored(stack, blobs, case.project, case.filename, case.path.read_bytes())


# -- malformed requests -----------------------------------------------------------------


def _auth(stack: Stack) -> tuple[str, str]:
    return ("api", str(stack.admin_key))


def test_no_content_part(stack: Stack, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    # A file part under another name, so the body is still multipart.
    reply = httpx.post(stack.upload_url(), data=upload_fields(wheel, name, "1.0"),
                       files={"gpg_signature": ("x.asc", b"sig")}, auth=_auth(stack))  # fmt: skip
    assert reply.status_code == 400
    assert reply.text.strip() == "Upload payload does not have a file."
    assert httpx.get(stack.index_url() + name + "/").status_code == 404


def test_not_multipart_and_truncated_bodies(stack: Stack, blobs: Minio, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    form = httpx.post(stack.upload_url(), data={"name": name}, auth=_auth(stack))
    assert form.status_code == 400
    assert form.text.strip() == "Malformed multipart body"

    request = httpx.Request(
        "POST", stack.upload_url(), data=upload_fields(wheel, name, "1.0"),
        files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
    )  # fmt: skip
    body = request.read()
    cut = httpx.post(
        stack.upload_url(), content=body[:-30], auth=_auth(stack),
        headers={"Content-Type": request.headers["content-type"]},
    )  # fmt: skip
    assert cut.status_code == 400
    assert cut.text.strip() == "Malformed multipart body"
    _assert_nothing_stored(stack, blobs, name, wheel.name, wheel.read_bytes())


def test_a_scalar_field_twice_or_as_a_file(stack: Stack, blobs: Minio, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    twice = upload_fields(wheel, name, "1.0")
    twice["version"] = ["1.0", "1.0"]
    reply = post_file(stack, wheel, twice)
    assert reply.status_code == 400
    assert reply.text.strip() == "version: Should not be a tuple."

    fields = upload_fields(wheel, name, "1.0")
    del fields["version"]
    as_file = httpx.post(
        stack.upload_url(), data=fields, auth=_auth(stack),
        files=[("version", ("v.txt", b"1.0", "text/plain")),
               ("content", (wheel.name, wheel.read_bytes(), "application/octet-stream"))],
    )  # fmt: skip
    assert as_file.status_code == 400
    assert as_file.text.strip() == "version: Should not be a tuple."
    _assert_nothing_stored(stack, blobs, name, wheel.name, wheel.read_bytes())


def test_invalid_utf8_in_a_field(stack: Stack, blobs: Minio, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    fields: dict[str, object] = dict(upload_fields(wheel, name, "1.0"))
    fields["summary"] = b"caf\xe9"
    reply = post_file(stack, wheel, fields)  # type: ignore[arg-type]
    assert reply.status_code == 400
    assert reply.text.strip() == "Invalid UTF-8 in field 'summary'"
    _assert_nothing_stored(stack, blobs, name, wheel.name, wheel.read_bytes())


@pytest.mark.parametrize(
    ("action", "message"),
    [("submit", "pre-registration is no longer required"),
     ("doc_upload", "Uploading documentation is no longer supported")],
)  # fmt: skip
def test_retired_actions_are_gone(stack: Stack, tmp_path: Path, action: str, message: str) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    reply = post_file(stack, wheel, upload_fields(wheel, name, "1.0", **{":action": action}))
    assert reply.status_code == 410
    assert message in reply.text


def test_an_image_content_type_is_refused(stack: Stack, blobs: Minio, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    reply = httpx.post(
        stack.upload_url(), data=upload_fields(wheel, name, "1.0"), auth=_auth(stack),
        files={"content": (wheel.name, wheel.read_bytes(), "image/png")},
    )  # fmt: skip
    assert reply.status_code == 400
    assert reply.text.strip() == "Invalid distribution file."
    _assert_nothing_stored(stack, blobs, name, wheel.name, wheel.read_bytes())


# -- rules that need the feed's state ---------------------------------------------------


def test_prefix_squatting_does_not_burn_the_filename(
    stack: Stack, blobs: Minio, tmp_path: Path
) -> None:
    short = f"sq-{uuid.uuid4().hex[:8]}"
    longer = f"{short}-way"
    sdist = build_sdist(tmp_path, longer, "1.0")
    squat = post_file(stack, sdist, upload_fields(sdist, short, "1.0"))
    assert squat.status_code == 400
    assert squat.text.startswith(f"Start filename for '{short}' with '{dist_name(short)}'.")
    _assert_nothing_stored(stack, blobs, short, sdist.name, sdist.read_bytes())
    # The rightful project can still use the filename.
    assert post_file(stack, sdist, upload_fields(sdist, longer, "1.0")).status_code == 200


def test_the_same_bytes_under_another_filename_are_refused(stack: Stack, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    assert post_file(stack, wheel, upload_fields(wheel, name, "1.0")).status_code == 200
    # A build tag makes a valid second filename for the very same bytes.
    renamed = f"{dist_name(name)}-1.0-1-py3-none-any.whl"
    reply = post_file(stack, wheel, upload_fields(wheel, name, "1.0"), filename=renamed)
    assert reply.status_code == 400
    assert reply.text.startswith(f"File already exists ('{renamed}'"), reply.text
    assert f"already uploaded as '{wheel.name}'" in reply.text
    assert httpx.get(f"{stack.base_url}/pypi/main/packages/{name}/{renamed}").status_code == 404
    # The original filename again is still Warehouse's no-op.
    assert post_file(stack, wheel, upload_fields(wheel, name, "1.0")).status_code == 200


def test_a_deleted_filename_stays_reserved(stack: Stack, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    assert post_file(stack, wheel, upload_fields(wheel, name, "1.0")).status_code == 200
    with sync_service_channel(stack.metadata_addr, stack.tls) as channel:
        metadata_pb2_grpc.MetadataServiceStub(channel).DeleteFile(
            metadata_pb2.DeleteFileRequest(feed="main", filename=wheel.name), timeout=30
        )
    for path in (wheel, build_wheel(tmp_path / "other", name, "1.0", payload="X = 1\n")):
        reply = post_file(stack, path, upload_fields(path, name, "1.0"))
        assert reply.status_code == 400
        assert reply.text.startswith(
            "This filename was previously used by a file that has since been deleted."
        )
    file = httpx.get(f"{stack.base_url}/pypi/main/packages/{name}/{wheel.name}")
    assert file.status_code == 404


def test_one_sdist_per_release(stack: Stack, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    first = build_sdist(tmp_path, name, "1.0")
    assert post_file(stack, first, upload_fields(first, name, "1.0")).status_code == 200
    # 1.0.0 is the same release as 1.0 (PEP 440), under another filename.
    second = build_sdist(tmp_path, name, "1.0.0")
    reply = post_file(stack, second, upload_fields(second, name, "1.0.0"))
    assert reply.status_code == 400
    assert reply.text.strip() == "Only one sdist may be uploaded per release."
    page = httpx.get(stack.index_url() + name + "/").text
    assert first.name in page and second.name not in page


@pytest.fixture(scope="module")
def strict_feed(stack: Stack) -> Iterator[str]:
    """A feed that refuses local versions."""
    name = f"strict-{uuid.uuid4().hex[:6]}"
    with sync_service_channel(stack.metadata_addr, stack.tls) as channel:
        metadata_pb2_grpc.MetadataServiceStub(channel).CreateFeed(
            metadata_pb2.CreateFeedRequest(
                feed=metadata_pb2.Feed(name=name, anonymous_read=True, refuse_local_versions=True)
            ),
            timeout=30,
        )
    yield name


def test_local_versions_are_allowed_unless_the_feed_refuses_them(
    stack: Stack, blobs: Minio, strict_feed: str, tmp_path: Path
) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0+cu124")
    assert wheel.name == f"{dist_name(name)}-1.0+cu124-py3-none-any.whl"
    fields = upload_fields(wheel, name, "1.0+cu124")
    refused = post_file(stack, wheel, fields, feed=strict_feed)
    assert refused.status_code == 400
    assert "The use of local versions in '1.0+cu124' is not allowed." in refused.text
    assert not _stored(stack, blobs, wheel.read_bytes())

    accepted = post_file(stack, wheel, fields)
    assert accepted.status_code == 200, accepted.text
    page = httpx.get(stack.index_url() + name + "/").text
    assert wheel.name in page


# -- what is accepted -------------------------------------------------------------------


def test_build_tags_and_the_slashless_url_are_accepted(stack: Stack, tmp_path: Path) -> None:
    name = f"rule-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    tagged = wheel.rename(tmp_path / wheel.name.replace("-1.0-", "-1.0-1build-"))
    # twine, poetry and pdm do not follow a redirect on POST: /legacy answers directly.
    reply = httpx.post(
        stack.upload_url().rstrip("/"), data=upload_fields(tagged, name, "1.0"), auth=_auth(stack),
        files={"content": (tagged.name, tagged.read_bytes(), "application/octet-stream")},
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    served = httpx.get(f"{stack.base_url}/pypi/main/packages/{name}/{tagged.name}")
    assert served.content == tagged.read_bytes()


def test_metadata_fields_are_stored(stack: Stack, tmp_path: Path) -> None:
    name = f"Rule_Meta.{uuid.uuid4().hex[:8]}"
    metadata = "\n".join([
        "Metadata-Version: 2.4",
        f"Name: {name}",
        "Version: 1.0",
        "Summary: Stores every field",
        "Author: Ada Lovelace",
        "Author-email: ada@example.com",
        "License-Expression: MIT",
        "Keywords: one,two",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Operating System :: OS Independent",
        "Project-URL: Source, https://example.com/src",
        "Requires-Python: >=3.9",
        "Requires-Dist: httpx>=0.27",
        'Requires-Dist: rich; extra == "pretty"',
        "Provides-Extra: pretty",
        "Description-Content-Type: text/markdown",
        "",
        "# Hello\n\nThe long description.\n",
    ])  # fmt: skip
    path = _zip(tmp_path / f"{dist_name(name)}-1.0-py3-none-any.whl",
                _wheel_members(name, "1.0", metadata=metadata))  # fmt: skip
    fields = upload_fields(
        path, name, "1.0", summary="Stores every field", requires_python=">=3.9",
        requires_dist=["httpx>=0.27", 'rich; extra == "pretty"'], metadata_version="2.4",
    )  # fmt: skip
    reply = post_file(stack, path, fields)
    assert reply.status_code == 200, reply.text
    info = httpx.get(f"{stack.base_url}/pypi/main/pypi/{normalize(name)}/json").json()["info"]
    assert info["name"] == name
    assert info["summary"] == "Stores every field"
    assert info["author"] == "Ada Lovelace"
    assert info["author_email"] == "ada@example.com"
    assert info["license_expression"] == "MIT"
    assert [k.strip() for k in info["keywords"].split(",")] == ["one", "two"]
    assert info["classifiers"] == [
        "Programming Language :: Python :: 3",
        "Operating System :: OS Independent",
    ]
    assert info["project_urls"] == {"Source": "https://example.com/src"}
    assert info["requires_python"] == ">=3.9"
    assert info["requires_dist"] == ["httpx>=0.27", 'rich; extra == "pretty"']
    assert info["provides_extra"] == ["pretty"]
    assert info["description_content_type"] == "text/markdown"
    assert "The long description." in info["description"]


def test_a_description_that_does_not_render_is_refused(
    stack: Stack, blobs: Minio, tmp_path: Path
) -> None:
    name = f"badrst-{uuid.uuid4().hex[:8]}"
    wheel = build_readme_wheel(
        tmp_path,
        name,
        "1.0",
        summary="broken readme",
        description="Title\n=====\n\n.. unknown-directive:: boom\n",
        content_type="text/x-rst",
    )
    reply = post_file(stack, wheel, upload_fields(wheel, name, "1.0"))
    assert reply.status_code == 400
    assert reply.text.startswith("The description failed to render for 'text/x-rst'.")
    _assert_nothing_stored(stack, blobs, name, wheel.name, wheel.read_bytes())
