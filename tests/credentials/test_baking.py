"""Tests for baking credentials into PNG and SVG images and extracting them again."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from badgeservice.credentials import baking
from badgeservice.credentials.baking import (
    OB2_SVG_NAMESPACE,
    OB3_SVG_NAMESPACE,
    BakedCredential,
    bake,
    bake_png,
    bake_svg,
    sniff,
    unbake,
    unbake_png,
    unbake_svg,
)
from badgeservice.credentials.errors import BakingError, CredentialError

SIG = b"\x89PNG\r\n\x1a\n"
OB3_TAG = f"{{{OB3_SVG_NAMESPACE}}}credential"
NS_DECL = f'xmlns:openbadges="{OB3_SVG_NAMESPACE}"'
JWS = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": 'Zertifikat "Grüße" ]]> <tag> & 😀',
    "credentialSubject": {"achievement": {"name": "Ünïcødé", "level": 3}},
}


# --- helpers: an independent reading of the PNG chunk format ------------------------------


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == SIG
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        out.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def make_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return SIG + b"".join(make_chunk(t, d) for t, d in chunks)


def itxt(keyword: str, text: str) -> tuple[bytes, bytes]:
    return b"iTXt", keyword.encode() + b"\0\0\0\0\0" + text.encode()


def make_png(mode: str = "RGBA", size: tuple[int, int] = (7, 5), **text: str) -> bytes:
    base = Image.new("RGBA", size)
    pixels = size[0] * size[1]
    base.putdata([(x * 37 % 256, x * 53 % 256, x * 11 % 256, x * 97 % 256) for x in range(pixels)])
    image = base.convert(mode)
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def png_text(png: bytes) -> dict[str, str]:
    with PngImagePlugin.PngImageFile(io.BytesIO(png)) as image:
        image.load()
        return dict(image.text)


def ob3_chunks(png: bytes) -> list[bytes]:
    return [
        d for t, d in png_chunks(png) if t == b"iTXt" and d.startswith(b"openbadgecredential\0")
    ]


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


PNG = make_png("RGBA", Comment="made by a test", Author="Ada")
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<!-- badge art -->\n"
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b">'
    b'<circle cx="5" cy="5" r="4"/></svg>\n'
)


def svg_credentials(svg: bytes) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(OB3_TAG))


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PNG, "png"), (SVG, "svg"), (b"\xef\xbb\xbf  <svg/>", "svg"), (b"\x89PNG broken", "png")],
)
def test_sniff(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"%PDF-1.7", b"hello <svg>"])
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(BakingError, match="not a PNG or SVG"):
        unbake(data)
    with pytest.raises(BakingError, match="not a PNG or SVG"):
        bake(data, CREDENTIAL)


# --- PNG ------------------------------------------------------------------------------------


def test_png_round_trip_json() -> None:
    found = unbake(bake(PNG, CREDENTIAL))
    assert found == BakedCredential("png", "ob3", CREDENTIAL, None, compact(CREDENTIAL))


def test_png_round_trip_jws() -> None:
    found = unbake(bake(PNG, JWS))
    assert found == BakedCredential("png", "ob3", None, JWS, JWS)


def test_png_chunk_is_spec_shaped_and_before_first_idat() -> None:
    baked = bake(PNG, CREDENTIAL)
    chunks = png_chunks(baked)
    expected = itxt("openbadgecredential", compact(CREDENTIAL))
    position = chunks.index(expected)
    assert chunks[position + 1][0] == b"IDAT"
    assert b"IDAT" not in [t for t, _ in chunks[:position]]
    # Everything else is the original, byte for byte and in order.
    assert chunks[:position] + chunks[position + 1 :] == png_chunks(PNG)
    new_chunk = make_chunk(*expected)
    assert baked.replace(new_chunk, b"", 1) == PNG


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_baked_png_still_decodes_with_identical_pixels(mode: str) -> None:
    original = make_png(mode, (31, 17))
    baked = bake(original, CREDENTIAL)
    # Pillow checks the CRCs of the chunks before IDAT on open, and the rest in verify().
    Image.open(io.BytesIO(baked)).verify()
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(baked)) as b:
        b.load()
        assert a.mode == b.mode
        assert a.size == b.size
        assert a.tobytes() == b.tobytes()
    assert png_text(baked)["openbadgecredential"] == compact(CREDENTIAL)


def test_png_rebake_replaces_the_chunk() -> None:
    once = bake(PNG, CREDENTIAL)
    twice = bake(once, {"id": "urn:uuid:2"})
    assert ob3_chunks(twice) == [b"openbadgecredential\0\0\0\0\0" + b'{"id":"urn:uuid:2"}']
    assert twice == bake(PNG, {"id": "urn:uuid:2"})
    assert unbake(bake(twice, JWS)).jws == JWS


def test_png_existing_chunk_after_idat_is_moved_not_duplicated() -> None:
    chunks = png_chunks(PNG)
    chunks.insert(-1, itxt("openbadgecredential", '{"old":true}'))
    chunks.insert(-1, itxt("openbadgecredential", '{"older":true}'))
    baked = bake(build_png(chunks), {"new": True})
    assert len(ob3_chunks(baked)) == 1
    assert unbake(baked).credential == {"new": True}
    assert [t for t, _ in png_chunks(baked)].index(b"iTXt") < [
        t for t, _ in png_chunks(baked)
    ].index(b"IDAT")


def test_png_with_several_idat_chunks() -> None:
    chunks = png_chunks(PNG)
    i = next(n for n, (t, _) in enumerate(chunks) if t == b"IDAT")
    data = chunks[i][1]
    chunks[i : i + 1] = [(b"IDAT", data[:5]), (b"IDAT", data[5:])]
    split = build_png(chunks)
    baked = bake(split, CREDENTIAL)
    types = [t for t, _ in png_chunks(baked)]
    assert types[types.index(b"iTXt") + 1 :].count(b"IDAT") == 2
    with Image.open(io.BytesIO(baked)) as img, Image.open(io.BytesIO(PNG)) as ref:
        assert img.tobytes() == ref.tobytes()


def test_png_extractor_takes_the_first_ob3_chunk() -> None:
    chunks = png_chunks(PNG)
    chunks[1:1] = [itxt("openbadgecredential", '{"n":1}'), itxt("openbadgecredential", '{"n":2}')]
    assert unbake_png(build_png(chunks)) == ("openbadgecredential", '{"n":1}')


def test_png_ob2_text_url_fallback() -> None:
    legacy = make_png(openbadges="https://example.org/assertions/1")
    found = unbake(legacy)
    assert found == BakedCredential("png", "ob2", None, None, "https://example.org/assertions/1")


def test_png_ob2_itxt_json_and_compressed_itxt() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadges", '{"type":"Assertion","é":1}', zip=True)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG", pnginfo=info)
    found = unbake(buf.getvalue())
    assert (found.version, found.credential) == ("ob2", {"type": "Assertion", "é": 1})


def test_png_ob3_preferred_over_ob2() -> None:
    legacy = make_png(openbadges="https://example.org/a/1")
    baked = bake(legacy, CREDENTIAL)
    assert unbake(baked).version == "ob3"
    assert unbake_png(baked) == ("openbadgecredential", compact(CREDENTIAL))
    # The OB 2.0 chunk is not ours to remove.
    assert png_text(baked)["openbadges"] == "https://example.org/a/1"


def test_png_without_credential() -> None:
    with pytest.raises(BakingError, match="no Open Badges credential found in PNG"):
        unbake(PNG)


def corrupt_crc(png: bytes) -> bytes:
    chunks = png_chunks(PNG)
    pos = 8 + sum(12 + len(d) for _, d in chunks[:2])  # third chunk
    broken = bytearray(png)
    broken[pos + 8] ^= 0x01
    return bytes(broken)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1b\n" + PNG[8:], "bad signature"),
        (corrupt_crc(PNG), "CRC mismatch"),
        (PNG[:-1], "truncated"),
        (PNG[:-12], "truncated, no IEND"),
        (PNG[:40], "truncated"),
        (PNG[:8], "truncated, no IEND"),
        (PNG + b"junk", "4 bytes after IEND"),
        (SIG + make_chunk(b"IEND", b""), "first chunk is not IHDR"),
        (SIG + b"\x00\x00\x00\x00IE?D\x00\x00\x00\x00", "invalid chunk type"),
        (SIG + b"\xff\xff\xff\xffIHDR" + b"\0" * 8, "truncated IHDR chunk"),
    ],
)
def test_corrupt_png_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake(data)
    with pytest.raises(BakingError, match=message):
        bake(data, CREDENTIAL)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ', "malformed JSON"),
        ('{"a": NaN}', "malformed JSON"),
        ("not a credential", "neither a JSON object nor a compact JWS"),
    ],
)
def test_png_malformed_payload(text: str, message: str) -> None:
    chunks = png_chunks(PNG)
    chunks.insert(1, itxt("openbadgecredential", text))
    with pytest.raises(BakingError, match=message):
        unbake(build_png(chunks))


def test_png_malformed_itxt() -> None:
    chunks = png_chunks(PNG)
    chunks.insert(1, (b"iTXt", b"openbadgecredential\0\0\0\0\0\xff\xfe"))
    with pytest.raises(BakingError, match="not UTF-8"):
        unbake(build_png(chunks))
    chunks[1] = (b"iTXt", b"openbadgecredential\0\0\0")
    with pytest.raises(BakingError, match="missing language"):
        unbake(build_png(chunks))


def test_bake_rejects_bad_payloads() -> None:
    with pytest.raises(BakingError, match="not a compact JWS"):
        bake(PNG, '{"a":1}')
    with pytest.raises(BakingError, match="not serialisable"):
        bake(PNG, {"a": object()})
    with pytest.raises(BakingError, match="not serialisable"):
        bake(PNG, {"a": float("nan")})
    with pytest.raises(BakingError, match="neither a JSON object nor a compact JWS"):
        bake_png(PNG, "[1, 2]")
    with pytest.raises(BakingError, match="neither a JSON object nor a compact JWS"):
        bake_svg(SVG, "[1, 2]")
    with pytest.raises(BakingError, match="malformed JSON"):
        bake_svg(SVG, '{"a":1} trailing')


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baking, "MAX_IMAGE_BYTES", len(PNG) + 10)
    unbake_png_input = PNG  # under the limit: only "no credential" is wrong with it
    with pytest.raises(BakingError, match="no Open Badges credential"):
        unbake(unbake_png_input)
    with pytest.raises(BakingError, match=r"baked image is .* the limit is"):
        bake(PNG, CREDENTIAL)
    with pytest.raises(BakingError, match=r"image is .* the limit is"):
        unbake(PNG + b"\0" * 11)
    with pytest.raises(BakingError, match=r"image is .* the limit is"):
        unbake_svg(b"<svg/>" + b" " * (len(PNG) + 5))


def test_baking_error_is_a_credential_error() -> None:
    with pytest.raises(CredentialError) as info:
        unbake(b"nope")
    assert isinstance(info.value, BakingError)
    assert info.value.code == "baking-error"


# --- SVG ------------------------------------------------------------------------------------


def test_svg_round_trip_json() -> None:
    baked = bake(SVG, CREDENTIAL)
    assert unbake(baked) == BakedCredential("svg", "ob3", CREDENTIAL, None, compact(CREDENTIAL))


def test_svg_json_element_is_first_child_with_cdata_and_no_verify() -> None:
    baked = bake(SVG, CREDENTIAL)
    root = ET.fromstring(baked)
    first = root[0]
    assert first.tag == OB3_TAG
    assert "verify" not in first.attrib
    assert first.text == compact(CREDENTIAL)
    assert len(svg_credentials(baked)) == 1
    start_tag = baked[baked.index(b"<svg") : baked.index(b"<openbadges:credential>")]
    assert NS_DECL.encode() in start_tag
    assert b"<openbadges:credential><![CDATA[" in baked


def test_svg_insertion_leaves_everything_else_byte_identical() -> None:
    baked = bake(SVG, {"a": "b"})
    assert baked == SVG.replace(
        b'data-x="a>b">',
        b'data-x="a>b" '
        + NS_DECL.encode()
        + b'><openbadges:credential><![CDATA[{"a":"b"}]]></openbadges:credential>',
    )


def test_svg_jws_goes_in_verify_attribute() -> None:
    baked = bake(SVG, JWS)
    element = ET.fromstring(baked)[0]
    assert element.tag == OB3_TAG
    assert element.get("verify") == JWS
    assert element.text is None
    assert len(element) == 0
    assert unbake(baked) == BakedCredential("svg", "ob3", None, JWS, JWS)


def test_svg_cdata_terminator_is_split() -> None:
    credential = {"x": "]]>", "y": "]]]]>>", "z": "<![CDATA[ ]]"}
    baked = bake(SVG, credential)
    assert baked.count(b"]]]]><![CDATA[>") == 2
    assert unbake(baked).credential == credential


def test_svg_rebake_replaces_the_element() -> None:
    once = bake(SVG, CREDENTIAL)
    twice = bake(once, JWS)
    elements = svg_credentials(twice)
    assert len(elements) == 1
    assert elements[0].get("verify") == JWS
    assert twice.count(NS_DECL.encode()) == 1
    assert twice == bake(SVG, JWS)


def test_svg_misplaced_existing_elements_are_all_replaced() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {NS_DECL}><g>'
        '<openbadges:credential verify="a.b.c"/></g>'
        "<openbadges:credential><![CDATA[{}]]><x/></openbadges:credential><rect/></svg>"
    ).encode()
    baked = bake(svg, {"new": 1})
    assert len(svg_credentials(baked)) == 1
    assert baked.count(NS_DECL.encode()) == 1
    assert baked.endswith(b"<g></g><rect/></svg>")
    assert unbake(baked).credential == {"new": 1}


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg" width="1" />',
        b'<s:svg xmlns:s="http://www.w3.org/2000/svg"/>',
        b"\xef\xbb\xbf<svg>\n</svg>",
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" version="1.1"><!-- c --></svg>',
        b"<?xml version='1.0' encoding='utf-8'?><?pi x?>"
        b"<svg xmlns='http://www.w3.org/2000/svg' a='\"&gt;'>\xc3\xa9</svg>",
        f'<svg xmlns="http://www.w3.org/2000/svg" {NS_DECL}><g/></svg>'.encode(),
    ],
)
def test_svg_variants(svg: bytes) -> None:
    baked = bake(svg, CREDENTIAL)
    root = ET.fromstring(baked)
    assert root[0].tag == OB3_TAG
    assert unbake(baked).credential == CREDENTIAL
    assert baked.count(b"xmlns:openbadges=") == 1
    # Cutting the inserted element out (and our declaration, if added) gives the input back.
    element = baked[baked.index(b"<openbadges:credential") :]
    element = element[: element.index(b"</openbadges:credential>") + 24]
    restored = baked.replace(element, b"")
    if NS_DECL.encode() not in svg:
        restored = restored.replace(b" " + NS_DECL.encode(), b"")
    if svg.rstrip().endswith(b"/>"):
        restored = restored.replace(b"></svg>", b"/>").replace(b"></s:svg>", b"/>")
    assert restored == svg


def test_svg_rebake_over_ob2_declares_namespace_locally() -> None:
    legacy = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://example.org/a/1"/></svg>'
    )
    assert unbake(legacy).version == "ob2"
    baked = bake(legacy, CREDENTIAL)
    root = ET.fromstring(baked)
    assert root[0].tag == OB3_TAG
    assert root[1].tag == f"{{{OB2_SVG_NAMESPACE}}}assertion"
    assert unbake(baked) == BakedCredential("svg", "ob3", CREDENTIAL, None, compact(CREDENTIAL))


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        (
            '<openbadges:assertion verify="https://example.org/a/1"/>',
            BakedCredential("svg", "ob2", None, None, "https://example.org/a/1"),
        ),
        (
            '<openbadges:assertion verify="https://example.org/a/1">'
            '<![CDATA[{"type":"Assertion"}]]></openbadges:assertion>',
            BakedCredential("svg", "ob2", {"type": "Assertion"}, None, '{"type":"Assertion"}'),
        ),
        (
            f'<openbadges:assertion verify="{JWS}"></openbadges:assertion>',
            BakedCredential("svg", "ob2", None, JWS, JWS),
        ),
    ],
)
def test_svg_ob2_fallback(svg: str, expected: BakedCredential) -> None:
    document = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        f"<g/>{svg}</svg>"
    ).encode()
    assert unbake(document) == expected


def test_svg_reader_accepts_whitespace_around_cdata() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" {NS_DECL}>\n'
        '  <openbadges:credential>\n    <![CDATA[{"a":1}]]>\n  </openbadges:credential></svg>'
    ).encode()
    assert unbake_svg(svg) == (OB3_SVG_NAMESPACE, '{"a":1}')


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg">&lol3;</svg>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg">&xxe;</svg>"""


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (BILLION_LAUGHS, "declares XML entities"),
        (EXTERNAL_ENTITY, "declares XML entities"),
        (b"<svg><g></svg>", "not well-formed XML"),
        (b"<svg>&undefined;</svg>", "not well-formed XML"),
        (b"<html><body/></html>", "root element is 'html', not svg"),
        (b'<svg xmlns="urn:not-svg"/>', "not svg"),
    ],
)
def test_hostile_or_invalid_svg_is_refused(svg: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake(svg)
    with pytest.raises(BakingError, match=message):
        bake(svg, CREDENTIAL)


def test_svg_without_credential() -> None:
    with pytest.raises(BakingError, match="no Open Badges credential found in SVG"):
        unbake(SVG)


def test_svg_empty_credential_element() -> None:
    svg = f'<svg {NS_DECL}><openbadges:credential verify=""/></svg>'.encode()
    with pytest.raises(BakingError, match="empty Open Badges element"):
        unbake(svg)


def test_svg_malformed_json_in_cdata() -> None:
    svg = f'<svg {NS_DECL}><openbadges:credential><![CDATA[{{"a":]]></openbadges:credential></svg>'
    with pytest.raises(BakingError, match="malformed JSON credential payload"):
        unbake(svg.encode())


def test_svg_must_be_utf8_to_bake() -> None:
    latin1 = b'<?xml version="1.0" encoding="ISO-8859-1"?><svg>\xe9</svg>'
    with pytest.raises(BakingError, match="only UTF-8 can be baked"):
        bake(latin1, CREDENTIAL)
    with pytest.raises(BakingError, match="only UTF-8 can be baked"):
        bake(b'<?xml version="1.0" encoding="utf8"?><svg/>', CREDENTIAL)
    assert unbake(bake(b'<?xml version="1.0" encoding="utf-8"?><svg/>', JWS)).jws == JWS
    utf16 = '<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16")
    with pytest.raises(BakingError, match="only UTF-8 can be baked"):
        bake(utf16, CREDENTIAL)
    with pytest.raises(BakingError, match="no Open Badges credential"):
        unbake(utf16)  # reading other encodings is fine


# --- properties -----------------------------------------------------------------------------

TRICKY = ["]]>", "]]", ">", "<![CDATA[", '"', "'", "&amp;", "\\", "\u2028", "😀", "\uffff", "\0"]
strings = st.one_of(
    st.text(), st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=3))).map("".join)
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
    max_leaves=20,
)
credentials = st.dictionaries(strings, json_values, max_size=6)
jws_strings = st.from_regex(
    r"[A-Za-z0-9_-]{1,20}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{1,20}", fullmatch=True
)
IMAGES = [PNG, SVG, b'<svg xmlns="http://www.w3.org/2000/svg"/>']


@given(credential=credentials, image=st.sampled_from(IMAGES))
@settings(max_examples=150, deadline=None)
def test_property_round_trip(credential: dict[str, Any], image: bytes) -> None:
    found = unbake(bake(image, credential))
    assert found.credential == credential
    assert found.jws is None
    assert json.loads(found.text) == credential
    assert found.version == "ob3"


@given(credential=credentials)
@settings(max_examples=50, deadline=None)
def test_property_png_text_is_exact(credential: dict[str, Any]) -> None:
    # Only the two noncharacters XML forbids are escaped (in PNG too, so both formats agree).
    expected = compact(credential).replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    assert unbake_png(bake(PNG, credential)) == ("openbadgecredential", expected)


@pytest.mark.parametrize("credential", [{"a": "\uffff\ufffe"}, {"\ud800": "\udfff x"}])
def test_unportable_code_points_are_json_escaped(credential: dict[str, Any]) -> None:
    png, svg = unbake(bake(PNG, credential)), unbake(bake(SVG, credential))
    assert png.credential == svg.credential == credential
    assert png.text == svg.text
    assert png.text.isascii()


@given(
    first=credentials | jws_strings, second=credentials | jws_strings, image=st.sampled_from(IMAGES)
)
@settings(max_examples=100, deadline=None)
def test_property_rebake_equals_fresh_bake(
    first: dict[str, Any] | str, second: dict[str, Any] | str, image: bytes
) -> None:
    rebaked = bake(bake(image, first), second)
    assert rebaked == bake(image, second)
    found = unbake(rebaked)
    assert (found.jws if isinstance(second, str) else found.credential) == second


@given(data=st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_property_garbage_only_raises_baking_error(data: bytes) -> None:
    for candidate in (data, SIG + data, b"<svg>" + data):
        with pytest.raises(BakingError):
            unbake(candidate)


@given(index=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_corrupted_baked_image_fails_cleanly(index: int, value: int) -> None:
    for baked in (bake(PNG, CREDENTIAL), bake(SVG, CREDENTIAL)):
        broken = bytearray(baked)
        broken[index % len(broken)] = value
        try:
            found = unbake(bytes(broken))
        except BakingError:
            continue
        assert found.format in ("png", "svg")
