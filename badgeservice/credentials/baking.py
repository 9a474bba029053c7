"""Baking: embedding an Open Badges credential in a PNG or SVG image, and extracting it.

OB 3.0 PNG: one uncompressed ``iTXt`` chunk, keyword ``openbadgecredential``, before the first
IDAT. OB 3.0 SVG: an ``<openbadges:credential>`` first child of the root, the JSON in CDATA or
a compact JWS in its ``verify`` attribute. Baking leaves every other byte of the image as it
was; unbaking falls back to the OB 2.0 ``openbadges`` chunk / ``<openbadges:assertion>``.
"""

# Size: two image formats, each baked and unbaked for OB 3.0 and read back for OB 2.0,
# sharing the size limits and the payload reading; split they would trade one file for
# cross-module private helpers.

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn
from xml.etree.ElementTree import Element
from xml.parsers import expat

from defusedxml import DefusedXmlException, EntitiesForbidden
from defusedxml import ElementTree as SafeET

from .errors import BakingError

__all__ = [
    "MAX_IMAGE_BYTES",
    "OB2_PNG_KEYWORD",
    "OB2_SVG_NAMESPACE",
    "OB3_PNG_KEYWORD",
    "OB3_SVG_NAMESPACE",
    "BakedCredential",
    "bake",
    "bake_png",
    "bake_svg",
    "sniff",
    "unbake",
    "unbake_png",
    "unbake_svg",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
OB3_PNG_KEYWORD = "openbadgecredential"
OB2_PNG_KEYWORD = "openbadges"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE = "http://openbadges.org"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_OB3_TAG = f"{{{OB3_SVG_NAMESPACE}}}credential"
_OB2_TAG = f"{{{OB2_SVG_NAMESPACE}}}assertion"
_OB3_ITXT_PREFIX = OB3_PNG_KEYWORD.encode("latin-1") + b"\0"
_OB2_TEXT_PREFIX = OB2_PNG_KEYWORD.encode("latin-1") + b"\0"

# Header and signature may not be empty; the payload may be (unencoded-payload JWS aside).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
# Code points that UTF-8 cannot carry (lone surrogates) or XML 1.0 forbids; in valid JSON they
# can only sit inside strings, where a \\u escape means the same thing.
_NON_PORTABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_XML_ENCODING = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_TAG_DELIMITER = re.compile(rb"[\"'>]")
_TAG_NAME = re.compile(rb"<([^\s/>]+)")

ImageFormat = Literal["png", "svg"]
Version = Literal["ob3", "ob2"]


@dataclass(frozen=True, slots=True)
class BakedCredential:
    """What :func:`unbake` found: the raw payload and its interpretation.

    ``credential`` is set for a JSON payload, ``jws`` for a compact JWS (not verified, not
    decoded); an OB 2.0 hosted-assertion URL leaves both ``None`` and is only in ``text``.
    """

    format: ImageFormat
    version: Version
    credential: dict[str, Any] | None
    jws: str | None
    text: str


def sniff(image: bytes) -> ImageFormat:
    """Tell PNG from SVG by the first bytes; anything else is a :class:`BakingError`."""
    if image.startswith(_PNG_SIGNATURE[:4]):
        return "png"
    if image.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: let the XML parser decide
        return "svg"
    if image.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return "svg"
    raise BakingError("not a PNG or SVG image")


def bake(image: bytes, credential: dict[str, Any] | str) -> bytes:
    """Bake an OB 3.0 credential (a dict, or a compact JWS string) into a PNG or SVG image."""
    if isinstance(credential, str):
        text = credential.strip()
        if not _COMPACT_JWS.fullmatch(text):
            raise BakingError("credential string is not a compact JWS; pass a dict for JSON")
    else:
        try:
            text = json.dumps(
                credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise BakingError(f"credential is not serialisable as JSON: {exc}") from None
    if sniff(image) == "png":
        return bake_png(image, text)
    return bake_svg(image, text)


def unbake(image: bytes) -> BakedCredential:
    """Extract the credential from a baked PNG or SVG, preferring OB 3.0 over OB 2.0."""
    kind = sniff(image)
    if kind == "png":
        keyword, text = unbake_png(image)
        version: Version = "ob3" if keyword == OB3_PNG_KEYWORD else "ob2"
    else:
        namespace, text = unbake_svg(image)
        version = "ob3" if namespace == OB3_SVG_NAMESPACE else "ob2"
    credential, jws = _interpret(text, allow_other=version == "ob2")
    return BakedCredential(kind, version, credential, jws, text)


# --- PNG -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chunk:
    type: bytes
    start: int  # offset of the length field
    end: int  # offset just past the CRC

    def data(self, png: bytes) -> bytes:
        return png[self.start + 8 : self.end - 4]


def bake_png(png: bytes, text: str) -> bytes:
    """Put ``text`` (credential JSON or compact JWS) in the PNG's ``openbadgecredential`` chunk.

    An existing ``openbadgecredential`` iTXt chunk is replaced; all other chunks are copied
    byte for byte and in order.
    """
    payload = _prepare(text)
    chunks = _read_chunks(png)
    data = _OB3_ITXT_PREFIX + b"\0\0\0\0" + payload.encode("utf-8")
    new_chunk = struct.pack(">I4s", len(data), b"iTXt") + data
    new_chunk += struct.pack(">I", zlib.crc32(new_chunk[4:]))
    _check_size(len(png) + len(new_chunk), "baked image")
    kept = [
        c for c in chunks if not (c.type == b"iTXt" and c.data(png).startswith(_OB3_ITXT_PREFIX))
    ]
    anchor = next((c for c in kept if c.type == b"IDAT"), kept[-1])  # kept[-1] is IEND
    parts = [_PNG_SIGNATURE]
    for chunk in kept:
        if chunk is anchor:
            parts.append(new_chunk)
        parts.append(png[chunk.start : chunk.end])
    return b"".join(parts)


def unbake_png(png: bytes) -> tuple[str, str]:
    """Return ``(keyword, text)`` of the first OB 3.0 chunk, else of the first OB 2.0 one."""
    texts = [(c.type, c.data(png)) for c in _read_chunks(png) if c.type in (b"iTXt", b"tEXt")]
    for ctype, data in texts:
        if ctype == b"iTXt" and data.startswith(_OB3_ITXT_PREFIX):
            return OB3_PNG_KEYWORD, _itxt_text(data)
    for ctype, data in texts:
        if data.startswith(_OB2_TEXT_PREFIX):
            if ctype == b"iTXt":
                return OB2_PNG_KEYWORD, _itxt_text(data)
            return OB2_PNG_KEYWORD, data[len(_OB2_TEXT_PREFIX) :].decode("latin-1")
    raise BakingError("no Open Badges credential found in PNG")


def _read_chunks(png: bytes) -> list[_Chunk]:
    """Split a PNG into chunks, checking the signature, every CRC, IHDR first and IEND last."""
    _check_size(len(png), "image")
    if not png.startswith(_PNG_SIGNATURE):
        raise BakingError("corrupt PNG: bad signature")
    chunks: list[_Chunk] = []
    pos = len(_PNG_SIGNATURE)
    while not chunks or chunks[-1].type != b"IEND":
        if pos == len(png):
            raise BakingError("corrupt PNG: truncated, no IEND chunk")
        if pos + 12 > len(png):
            raise BakingError(f"corrupt PNG: truncated chunk header at byte {pos}")
        length, ctype = struct.unpack_from(">I4s", png, pos)
        name = ctype.decode("latin-1")
        if not ctype.isalpha():
            raise BakingError(f"corrupt PNG: invalid chunk type {name!r} at byte {pos}")
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(png):
            raise BakingError(f"corrupt PNG: truncated {name} chunk at byte {pos}")
        (crc,) = struct.unpack_from(">I", png, end - 4)
        if zlib.crc32(memoryview(png)[pos + 4 : end - 4]) != crc:
            raise BakingError(f"corrupt PNG: CRC mismatch in {name} chunk at byte {pos}")
        chunks.append(_Chunk(ctype, pos, end))
        pos = end
    if chunks[0].type != b"IHDR":
        raise BakingError("corrupt PNG: first chunk is not IHDR")
    if pos != len(png):
        raise BakingError(f"corrupt PNG: {len(png) - pos} bytes after IEND")
    return chunks


def _itxt_text(data: bytes) -> str:
    """The text of an iTXt chunk (keyword, flags, language, translated keyword, text)."""
    _keyword, _, rest = data.partition(b"\0")
    if len(rest) < 2:
        raise BakingError("malformed iTXt chunk: missing compression fields")
    flag, method = rest[0], rest[1]
    _language, sep1, rest = rest[2:].partition(b"\0")
    _translated, sep2, raw = rest.partition(b"\0")
    if not (sep1 and sep2):
        raise BakingError("malformed iTXt chunk: missing language or translated keyword")
    if flag == 1 and method == 0:
        # OB 3.0 forbids compression, but OB 2.0 bakers may have used it; bound the inflate.
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(raw, MAX_IMAGE_BYTES)
        except zlib.error as exc:
            raise BakingError(f"malformed iTXt chunk: bad compressed text ({exc})") from None
        if inflater.unconsumed_tail or not inflater.eof:
            raise BakingError("malformed iTXt chunk: compressed text too large or truncated")
    elif flag != 0:
        raise BakingError(f"malformed iTXt chunk: unknown compression {flag}/{method}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("malformed iTXt chunk: text is not UTF-8") from None


# --- SVG -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SvgLayout:
    root_lt: int = -1  # offset of the root start tag's '<'
    root_gt: int = -1  # offset of its '>'
    root_empty: bool = False
    prefix_uri: str | None = None  # what the root binds the 'openbadges' prefix to
    credential_spans: list[tuple[int, int]] = field(default_factory=list)


def bake_svg(svg: bytes, text: str) -> bytes:
    """Put ``text`` (credential JSON or compact JWS) in the SVG's ``openbadges:credential``.

    Text is inserted right after the root start tag and any existing OB 3.0 credential
    element is cut out; the rest of the file stays byte-identical. Only UTF-8 SVG is baked.
    """
    payload = _prepare(text)
    _check_size(len(svg), "image")
    match = _XML_ENCODING.match(svg)
    # Only the spelling expat decodes itself: aliases such as "utf8" go through Python's codec
    # hook, which expat accepts for single-byte encodings only, so non-ASCII would not parse.
    if match and match.group(1).lower() != b"utf-8":
        raise BakingError(f"SVG declares encoding {match.group(1)!r}; only UTF-8 can be baked")
    try:
        svg.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("SVG is not valid UTF-8; only UTF-8 can be baked") from None
    _parse_svg(svg)
    layout = _locate(svg)

    ns_attr = f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'
    own_decl = ns_attr if layout.prefix_uri not in (None, OB3_SVG_NAMESPACE) else ""
    if _COMPACT_JWS.fullmatch(payload):
        element = f'<openbadges:credential{own_decl} verify="{payload}"></openbadges:credential>'
    else:
        body = payload.replace("]]>", "]]]]><![CDATA[>")  # "]]>" would end the CDATA early
        element = f"<openbadges:credential{own_decl}><![CDATA[{body}]]></openbadges:credential>"

    head_end = layout.root_gt - 1 if layout.root_empty else layout.root_gt
    parts = [svg[:head_end], ns_attr.encode() if layout.prefix_uri is None else b""]
    parts += [b">", element.encode("utf-8")]
    if layout.root_empty:
        name = _TAG_NAME.match(svg, layout.root_lt)
        assert name is not None  # the parser accepted this start tag
        parts.append(b"</" + name.group(1) + b">")
    pos = layout.root_gt + 1
    for start, end in layout.credential_spans:
        parts.append(svg[pos:start])
        pos = end
    parts.append(svg[pos:])
    baked = b"".join(parts)
    _check_size(len(baked), "baked image")
    return baked


def unbake_svg(svg: bytes) -> tuple[str, str]:
    """Return ``(namespace, text)`` of the first OB 3.0 credential, else of an OB 2.0 one."""
    _check_size(len(svg), "image")
    root = _parse_svg(svg)
    element = next(root.iter(_OB3_TAG), None)
    namespace = OB3_SVG_NAMESPACE
    if element is None:
        element = next(root.iter(_OB2_TAG), None)
        namespace = OB2_SVG_NAMESPACE
    if element is None:
        raise BakingError("no Open Badges credential found in SVG")
    verify = (element.get("verify") or "").strip()
    body = (element.text or "").strip()
    # OB 3.0 puts a JWS in verify; OB 2.0 puts a URL there and may carry the JSON in the body.
    text = (verify or body) if namespace == OB3_SVG_NAMESPACE else (body or verify)
    if not text:
        raise BakingError(f"empty Open Badges element {element.tag!r} in SVG")
    return namespace, text


def _parse_svg(svg: bytes) -> Element:
    """Parse with defusedxml (no entity declarations, no external references); check root."""
    try:
        root = SafeET.fromstring(svg, forbid_dtd=False, forbid_entities=True)
    except EntitiesForbidden:
        raise BakingError("SVG declares XML entities, which are refused") from None
    except DefusedXmlException as exc:
        raise BakingError(f"SVG uses a refused XML feature: {exc!r}") from None
    except SafeET.ParseError as exc:
        raise BakingError(f"SVG is not well-formed XML: {exc}") from None
    except LookupError as exc:  # expat asks the codec registry for the declared encoding
        raise BakingError(f"SVG declares an unsupported encoding: {exc}") from None
    if root.tag not in (f"{{{_SVG_NAMESPACE}}}svg", "svg"):
        raise BakingError(f"root element is {root.tag!r}, not svg")
    return root


def _locate(svg: bytes) -> _SvgLayout:
    """Find byte offsets of the root start tag and of any OB 3.0 credential elements.

    Runs only on input :func:`_parse_svg` accepted; expat's byte index gives the '<' of each
    start tag, and a quote-aware scan finds its '>'.
    """
    layout = _SvgLayout()
    spans = layout.credential_spans
    open_credential: tuple[int, int] | None = None  # (offset of '<', depth)
    depth = 0
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args: object) -> NoReturn:
        raise BakingError("SVG declares XML entities, which are refused")

    def namespace_decl(prefix: str | None, uri: str) -> None:
        if layout.root_lt < 0 and prefix == "openbadges":
            layout.prefix_uri = uri

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal depth, open_credential
        lt = parser.CurrentByteIndex
        gt = _tag_end(svg, lt)
        empty = svg[gt - 1 : gt] == b"/"
        if layout.root_lt < 0:
            layout.root_lt, layout.root_gt, layout.root_empty = lt, gt, empty
        elif open_credential is None and name == f"{OB3_SVG_NAMESPACE} credential":
            if empty:
                spans.append((lt, gt + 1))
            else:
                open_credential = (lt, depth)
        depth += 1

    def end(_name: str) -> None:
        nonlocal depth, open_credential
        depth -= 1
        if open_credential is not None and open_credential[1] == depth:
            close = svg.index(b">", parser.CurrentByteIndex)
            spans.append((open_credential[0], close + 1))
            open_credential = None

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.StartNamespaceDeclHandler = namespace_decl
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(svg, True)
    except expat.ExpatError as exc:
        raise BakingError(f"SVG is not well-formed XML: {exc}") from None
    return layout


def _tag_end(raw: bytes, lt: int) -> int:
    """Offset of the '>' closing the tag at ``lt``; '>' may occur inside quoted values."""
    pos = lt
    while (match := _TAG_DELIMITER.search(raw, pos)) is not None:
        if match.group() == b">":
            return match.start()
        pos = raw.find(match.group(), match.end()) + 1  # skip the quoted value
        if pos == 0:
            break
    raise BakingError(f"SVG tag at byte {lt} is not closed")  # unreachable once expat accepted it


# --- payloads --------------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Validate an OB 3.0 payload and make a JSON one safe for UTF-8 and XML 1.0."""
    _credential, jws = _interpret(text, allow_other=False)
    if jws is not None:
        return jws
    return _NON_PORTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text.strip())


def _interpret(text: str, *, allow_other: bool) -> tuple[dict[str, Any] | None, str | None]:
    """Classify a payload as JSON object or compact JWS; OB 2.0 may also hold a bare URL."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _load_json(stripped), None
    if _COMPACT_JWS.fullmatch(stripped):
        return None, stripped
    if allow_other:
        return None, None
    raise BakingError("credential payload is neither a JSON object nor a compact JWS")


def _load_json(text: str) -> dict[str, Any]:
    def no_constants(name: str) -> NoReturn:
        raise ValueError(f"non-standard JSON constant {name}")

    try:  # the caller saw a leading "{", so anything that parses is an object
        value: dict[str, Any] = json.loads(text, parse_constant=no_constants)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise BakingError(f"malformed JSON credential payload: {exc}") from None
    return value


def _check_size(size: int, what: str) -> None:
    if size > MAX_IMAGE_BYTES:
        raise BakingError(f"{what} is {size} bytes; the limit is {MAX_IMAGE_BYTES} bytes")
