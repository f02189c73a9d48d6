"""The Ministry of Finance's daily flat file of the VAT white list ("plik płaski"), no ORM.

What the Ministry specifies: a JSON document ::

    {"naglowek": {"dataGenerowaniaDanych": "20260924", "liczbaTransformacji": "5000",
                  "schemat": "RRRRMMDDNNNNNNNNNNBBBBBBBBBBBBBBBBBBBBBBBBBB"},
     "skrotyPodatnikowCzynnych": ["<sha512 hex>", ...],      # active VAT payers
     "skrotyPodatnikowZwolnionych": ["<sha512 hex>", ...],   # exempt ones
     "maski": ["XX10100055YYYXXXXXXXXXXXXX", ...]}            # virtual account masks

Each hash is SHA-512 applied ``liczbaTransformacji`` times (5000) to the text
``date + NIP + account`` (the date as YYYYMMDD, the NIP's 10 digits, the account's 26),
each round hashing the previous round's lowercase hexadecimal digest. A virtual account is
listed through a mask of its bank (characters 3 to 10 of the account are the bank's
sort code): the account is rewritten with ``X`` where the mask has ``X`` (its own digits
elsewhere) and that text hashed in place of the account. The file is published daily as a
7z archive holding that JSON document (:func:`open_archive` reads it with the standard
library's LZMA; plain JSON is read as it is).

:func:`build_index` streams the document into a compact index (the first 16 bytes of
each hash, sorted: a false match would need a 128-bit SHA-512 prefix collision), which
:class:`DigestIndex` searches without loading it.
"""

import hashlib
import lzma
import re
import tempfile
import time
import zlib

import requests

# ---- the Ministry's hash ----

DIGEST_BYTES = 16  # of each SHA-512 kept in the index
SECTIONS = {"skrotyPodatnikowCzynnych": "active", "skrotyPodatnikowZwolnionych": "exempt"}


class FlatFileError(ValueError):
    """A flat file that does not follow the specification (or a damaged archive)."""


class DownloadError(Exception):
    """The flat file could not be downloaded (``detail`` says why)."""


def download(url, out, max_bytes, timeout, session=None):
    """Stream ``url`` into ``out`` (a binary file): no redirect, at most ``max_bytes``,
    within ``timeout`` seconds for the whole transfer. Returns ``(sha512 hex, size)``.
    The archive is hundreds of megabytes: never held in memory."""
    deadline = time.monotonic() + timeout
    digest, size = hashlib.sha512(), 0
    try:
        response = (session or requests).get(url, stream=True, timeout=min(timeout, 60), allow_redirects=False)
        with response:
            if response.is_redirect:
                raise DownloadError(f"HTTP {response.status_code} (redirect refused)")
            if response.status_code != 200:
                raise DownloadError(f"HTTP {response.status_code}")
            for chunk in response.iter_content(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise DownloadError("timeout")
                digest.update(chunk)
                out.write(chunk)
    except requests.Timeout as exc:
        raise DownloadError("timeout") from exc
    except requests.RequestException as exc:
        raise DownloadError(exc.__class__.__name__) from exc
    return digest.hexdigest(), size


def read_document(fileobj, block=1 << 20):
    """The JSON chunks of a downloaded flat file: the first file of a 7z archive, or the
    file itself when it is the JSON document."""
    fileobj.seek(0)
    if is_7z(fileobj.read(6)):
        return open_archive(fileobj)[1]
    fileobj.seek(0)
    return iter(lambda: fileobj.read(block), b"")


def chain(day, nip, account, transformations):
    """The flat file's hash of ``day`` (YYYYMMDD) + ``nip`` + ``account`` (or a masked account)."""
    value = f"{day}{nip}{account}".encode("ascii")
    sha512 = hashlib.sha512
    for _round in range(transformations):
        value = sha512(value).hexdigest().encode("ascii")
    return value.decode("ascii")


def mask_applies(account, mask):
    """Whether a virtual-account mask can stand for ``account``: same length and the same
    digits where the mask has digits (the bank's sort code)."""
    return len(mask) == len(account) and all(m == a for m, a in zip(mask, account, strict=True) if m.isdigit())


def masked(account, mask):
    """``account`` as the flat file hashes it under ``mask``: ``X`` where the mask says ``X``."""
    return "".join("X" if m == "X" else a for m, a in zip(mask, account, strict=True))


# ---- reading the JSON document as it streams in ----

_TOKEN = re.compile(
    rb'\s*(?:"((?:[^"\\]|\\.)*)"(\s*:)?|([{}\[\],])|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null))'
)


def _tokens(chunks):
    """Yield the document's tokens ``(string, colon, structural, scalar)`` (the groups of
    ``_TOKEN``) as the chunks arrive; a token cut between two chunks waits for the next."""
    buf, pos, done = b"", 0, False
    chunks = iter(chunks)
    while not done:
        chunk = next(chunks, None)
        if chunk is None:
            done = True
        else:
            buf, pos = buf[pos:] + chunk, 0
        while match := _TOKEN.match(buf, pos):
            if not done and match.end() == len(buf) and (match.group(3) is None or match.group(1) is not None):
                break  # a string or number may go on (or be a key) in the next chunk
            pos = match.end()
            yield match.groups()
        if done and buf[pos:].strip():
            raise FlatFileError(f"unexpected {buf[pos : pos + 20]!r}")


def scan(chunks):
    """Yield ``(section, value)`` for every value of the document: ``("naglowek", (key,
    value))`` for the header, ``("active" | "exempt", hash)``, ``("maski", mask)``; other
    members are skipped. ``chunks`` are bytes of any size; memory stays bounded by one chunk."""
    stack = []  # "object" / "array"
    path = []  # the member name each open container was opened under
    key = None
    for string, colon, structural, scalar in _tokens(chunks):
        if structural in (b"{", b"["):
            path.append(key)
            stack.append("object" if structural == b"{" else "array")
            key = None
        elif structural in (b"}", b"]"):
            if not stack:
                raise FlatFileError("unbalanced document")
            stack.pop()
            path.pop()
            key = None
        elif structural == b",":
            key = None if stack and stack[-1] == "object" else key
        elif colon:
            if not stack or stack[-1] != "object":
                raise FlatFileError("a member name outside an object")
            key = string.decode("utf-8")
        elif len(stack) == 2:
            value = string.decode("utf-8") if string is not None else scalar.decode("ascii")
            if stack[-1] == "object" and path[-1] == "naglowek":
                yield "naglowek", (key, value)
            elif stack[-1] == "array" and path[-1] in SECTIONS:
                yield SECTIONS[path[-1]], value
            elif stack[-1] == "array" and path[-1] == "maski":
                yield "maski", value
    if stack:
        raise FlatFileError("the document ends too early")


class _SortedRecords:
    """Digests of one section written to a temporary file; sorted at the end when the
    file did not list them in order (the Ministry's does)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller)
        self.count = 0
        self.last = b""
        self.in_order = True

    def add(self, digest_hex):
        if len(digest_hex) != 128:
            raise FlatFileError(f"a hash of {len(digest_hex)} characters")
        try:
            record = bytes.fromhex(digest_hex[: DIGEST_BYTES * 2])
        except ValueError as exc:
            raise FlatFileError("a hash that is not hexadecimal") from exc
        self.in_order = self.in_order and record >= self.last
        self.last = record
        self.file.write(record)
        self.count += 1

    def copy_to(self, out):
        self.file.seek(0)
        if self.in_order:
            while block := self.file.read(1 << 20):
                out.write(block)
            return
        data = self.file.read()
        records = sorted(data[i : i + DIGEST_BYTES] for i in range(0, len(data), DIGEST_BYTES))
        out.write(b"".join(records))


def build_index(chunks, out):
    """Stream a flat file's JSON ``chunks`` into ``out`` (a binary file): the active
    digests then the exempt ones, each sorted. Returns the header: ``{"date": "YYYYMMDD",
    "transformations": int, "active": n, "exempt": n, "masks": [...]}``."""
    header, masks = {}, []
    sections = {"active": _SortedRecords(), "exempt": _SortedRecords()}
    try:
        for section, value in scan(chunks):
            if section == "naglowek":
                header[value[0]] = value[1]
            elif section == "maski":
                if not re.fullmatch(r"[0-9XY]{26}", value):
                    raise FlatFileError(f"a mask {value!r} that is not 26 of 0-9, X, Y")
                masks.append(value)
            else:
                sections[section].add(value)
        day = str(header.get("dataGenerowaniaDanych", ""))
        try:
            transformations = int(header.get("liczbaTransformacji", ""))
        except ValueError as exc:
            raise FlatFileError("no number of transformations in the header") from exc
        if not re.fullmatch(r"\d{8}", day) or transformations <= 0:
            raise FlatFileError("no date or number of transformations in the header")
        for records in sections.values():
            records.copy_to(out)
    finally:
        for records in sections.values():
            records.file.close()
    return {
        "date": day,
        "transformations": transformations,
        "active": sections["active"].count,
        "exempt": sections["exempt"].count,
        "masks": sorted(set(masks)),
    }


class DigestIndex:
    """Searches an index made by :func:`build_index` (bytes, or an mmap of its file)."""

    def __init__(self, buffer, active, exempt):
        if len(buffer) != (active + exempt) * DIGEST_BYTES:
            raise FlatFileError("the index does not match its counts")
        self.buffer = buffer
        self.ranges = (("active", 0, active), ("exempt", active, active + exempt))

    def _find(self, record, low, high):
        buffer, size = self.buffer, DIGEST_BYTES
        while low < high:
            middle = (low + high) // 2
            if buffer[middle * size : (middle + 1) * size] < record:
                low = middle + 1
            else:
                high = middle
        return low < self.ranges[-1][2] and buffer[low * size : (low + 1) * size] == record

    def status(self, digest_hex):
        """ "active", "exempt" or None for a full hash."""
        record = bytes.fromhex(digest_hex[: DIGEST_BYTES * 2])
        for status, low, high in self.ranges:
            if low < high and self._find(record, low, high):
                return status
        return None


class FlatFile:
    """A loaded flat file: its index, day, transformations and masks."""

    def __init__(self, index, day, transformations, masks):
        self.index = index
        self.day = day
        self.transformations = transformations
        self.masks = {}
        self._masked = {}
        for mask in masks:
            self.masks.setdefault(mask[2:10], []).append(mask)

    def check(self, nip, account):
        """``(status, mask)``: "active" / "exempt" (``mask`` the virtual-account mask that
        matched, or None) or ``(None, None)`` when the account is not the NIP's that day."""
        status = self.index.status(chain(self.day, nip, account, self.transformations))
        if status:
            return status, None
        for mask in self.masks.get(account[2:10], ()):
            if mask_applies(account, mask):
                # The accounts of one virtual range share their masked form: hashed once.
                key = (nip, masked(account, mask))
                if key not in self._masked:
                    self._masked[key] = self.index.status(chain(self.day, *key, self.transformations))
                if self._masked[key]:
                    return self._masked[key], mask
        return None, None


# ---- 7z archives (LZMA / LZMA2, as 7-Zip writes them), standard library only ----

SIGNATURE = b"7z\xbc\xaf\x27\x1c"
_K_END, _K_HEADER, _K_ARCHIVE_PROPERTIES, _K_ADDITIONAL_STREAMS = 0x00, 0x01, 0x02, 0x03
_K_MAIN_STREAMS, _K_FILES, _K_PACK_INFO, _K_UNPACK_INFO, _K_SUBSTREAMS = 0x04, 0x05, 0x06, 0x07, 0x08
_K_SIZE, _K_CRC, _K_FOLDER, _K_CODERS_UNPACK_SIZE, _K_NUM_UNPACK_STREAM = 0x09, 0x0A, 0x0B, 0x0C, 0x0D
_K_EMPTY_STREAM, _K_NAME, _K_ENCODED_HEADER, _K_DUMMY = 0x0E, 0x11, 0x17, 0x19
CODEC_COPY, CODEC_LZMA2, CODEC_LZMA = b"\x00", b"\x21", b"\x03\x01\x01"


def is_7z(head):
    return head[:6] == SIGNATURE


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            raise FlatFileError("the 7z header ends too early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def bytes(self, count):
        if self.pos + count > len(self.data):
            raise FlatFileError("the 7z header ends too early")
        value = self.data[self.pos : self.pos + count]
        self.pos += count
        return value

    def number(self):
        """7z's variable-length number: the leading one bits of the first byte count the
        little-endian bytes that follow; the rest of the first byte is the high part."""
        first = self.byte()
        mask, value = 0x80, 0
        for index in range(8):
            if not first & mask:
                return value | ((first & (mask - 1)) << (8 * index))
            value |= self.byte() << (8 * index)
            mask >>= 1
        return value

    def uint32(self):
        return int.from_bytes(self.bytes(4), "little")

    def bits(self, count):
        """A bit vector (all defined when its first byte says so)."""
        if self.byte():
            return [True] * count
        vector, byte, mask = [], 0, 0
        for _ in range(count):
            if not mask:
                byte, mask = self.byte(), 0x80
            vector.append(bool(byte & mask))
            mask >>= 1
        return vector


def _read_digests(reader, count):
    defined = reader.bits(count)
    return [reader.uint32() if is_defined else None for is_defined in defined]


def _read_pack_info(reader, info):
    info["pack_pos"] = reader.number()
    count = reader.number()
    kind = reader.byte()
    while kind != _K_END:
        if kind == _K_SIZE:
            info["pack_sizes"] = [reader.number() for _ in range(count)]
        elif kind == _K_CRC:
            _read_digests(reader, count)
        else:
            raise FlatFileError(f"unexpected 7z pack property {kind}")
        kind = reader.byte()


def _read_folder(reader):
    """A folder's coders ``[(codec, properties, in streams, out streams)]`` and its number
    of output streams."""
    coders, total_out = [], 0
    for _coder in range(reader.number()):
        flags = reader.byte()
        if flags & 0x80:
            raise FlatFileError("alternative 7z coders are not supported")
        codec = reader.bytes(flags & 0x0F)
        ins, outs = (reader.number(), reader.number()) if flags & 0x10 else (1, 1)
        properties = reader.bytes(reader.number()) if flags & 0x20 else b""
        coders.append((codec, properties, ins, outs))
        total_out += outs
    for _pair in range(2 * (total_out - 1)):  # bind pairs: in index, out index
        reader.number()
    packed = sum(coder[2] for coder in coders) - (total_out - 1)
    for _stream in range(packed if packed > 1 else 0):
        reader.number()
    return coders, total_out


def _read_unpack_info(reader, info):
    if reader.byte() != _K_FOLDER:
        raise FlatFileError("7z folders expected")
    count = reader.number()
    if reader.byte():
        raise FlatFileError("external 7z folders are not supported")
    outputs = []
    for _ in range(count):
        coders, total_out = _read_folder(reader)
        info["folders"].append(coders)
        outputs.append(total_out)
    if reader.byte() != _K_CODERS_UNPACK_SIZE:
        raise FlatFileError("7z unpack sizes expected")
    for outs in outputs:
        info["unpack_sizes"].append([reader.number() for _ in range(outs)][-1])
    kind = reader.byte()
    if kind == _K_CRC:
        info["crcs"] = _read_digests(reader, count)
        kind = reader.byte()
    if kind != _K_END:
        raise FlatFileError(f"unexpected 7z unpack property {kind}")


def _read_substreams(reader, info):
    single = [1] * len(info["folders"])
    per_folder = single
    kind = reader.byte()
    while kind != _K_END:
        if kind == _K_NUM_UNPACK_STREAM:
            per_folder = [reader.number() for _ in info["folders"]]
        elif kind == _K_SIZE:
            for _ in range(sum(count - 1 for count in per_folder)):
                reader.number()
        elif kind == _K_CRC:
            digests = _read_digests(reader, sum(per_folder))
            if per_folder == single:
                info["crcs"] = digests
        else:
            raise FlatFileError(f"unexpected 7z substream property {kind}")
        kind = reader.byte()
    if per_folder != single:
        raise FlatFileError("a 7z folder holding several files is not supported")


def _read_streams_info(reader):
    info = {"pack_pos": 0, "pack_sizes": [], "folders": [], "unpack_sizes": [], "crcs": []}
    kind = reader.byte()
    for expected, read in (
        (_K_PACK_INFO, _read_pack_info),
        (_K_UNPACK_INFO, _read_unpack_info),
        (_K_SUBSTREAMS, _read_substreams),
    ):
        if kind == expected:
            read(reader, info)
            kind = reader.byte()
    if kind != _K_END:
        raise FlatFileError(f"unexpected 7z streams property {kind}")
    return info


def _decompressor(coders):
    if len(coders) != 1:
        raise FlatFileError("7z filters chained to the compression are not supported")
    codec, properties, _ins, _outs = coders[0]
    if codec == CODEC_COPY:
        return None
    if codec == CODEC_LZMA2:
        value = properties[0]
        dict_size = 0xFFFFFFFF if value == 40 else (2 | (value & 1)) << (value // 2 + 11)
        return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": dict_size}])
    if codec == CODEC_LZMA:
        value = properties[0]
        lc, remainder = value % 9, value // 9
        lp, pb = remainder % 5, remainder // 5
        dict_size = int.from_bytes(properties[1:5], "little")
        return lzma.LZMADecompressor(
            lzma.FORMAT_RAW,
            filters=[{"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}],
        )
    raise FlatFileError(f"the 7z codec {codec.hex()} is not supported (encrypted, or not LZMA)")


def _unpack(fileobj, offset, packed_size, coders, unpacked_size, crc, block=1 << 20):
    """Yield the unpacked bytes of one folder, its CRC checked at the end."""
    decompressor = _decompressor(coders)
    fileobj.seek(offset)
    left, produced, running = packed_size, 0, 0
    while left > 0 or (decompressor is not None and not decompressor.needs_input and produced < unpacked_size):
        data = fileobj.read(min(block, left)) if left > 0 else b""
        if left > 0 and not data:
            raise FlatFileError("the 7z archive is truncated")
        left -= len(data)
        try:
            output = decompressor.decompress(data) if decompressor is not None else data
        except (lzma.LZMAError, EOFError) as exc:
            raise FlatFileError(f"the 7z stream is damaged ({exc})") from exc
        output = output[: unpacked_size - produced]
        if output:
            produced += len(output)
            running = zlib.crc32(output, running)
            yield output
        if produced >= unpacked_size:
            break
    if produced != unpacked_size:
        raise FlatFileError(f"the 7z stream unpacks to {produced} bytes, not {unpacked_size}")
    if crc is not None and running != crc:
        raise FlatFileError("the 7z stream fails its CRC check")


def _first_folder(fileobj, info):
    if not info["pack_sizes"]:
        raise FlatFileError("a 7z stream without its packed size")
    crc = info["crcs"][0] if info["crcs"] else None
    return _unpack(
        fileobj, 32 + info["pack_pos"], info["pack_sizes"][0], info["folders"][0], info["unpack_sizes"][0], crc
    )


def _read_names(reader):
    """The names of the files that have data (FilesInfo)."""
    count = reader.number()
    names, empty = [], [False] * count
    kind = reader.byte()
    while kind != _K_END:
        payload = _Reader(reader.bytes(reader.number()))
        if kind == _K_NAME:
            if payload.byte():
                raise FlatFileError("external 7z names are not supported")
            names = payload.data[1:].decode("utf-16-le").split("\x00")[:count]
        elif kind == _K_EMPTY_STREAM:
            empty = payload.bits(count)
        kind = reader.byte()
    return [name for name, is_empty in zip(names, empty, strict=False) if not is_empty]


def open_archive(fileobj):
    """``(name, chunks)`` of the first file of a 7z archive (``fileobj`` seekable)."""
    fileobj.seek(0)
    start = fileobj.read(32)
    if len(start) < 32 or not is_7z(start):
        raise FlatFileError("not a 7z archive")
    if zlib.crc32(start[12:32]) != int.from_bytes(start[8:12], "little"):
        raise FlatFileError("the 7z start header fails its CRC check")
    offset = int.from_bytes(start[12:20], "little")
    size = int.from_bytes(start[20:28], "little")
    fileobj.seek(32 + offset)
    header = fileobj.read(size)
    if len(header) != size or zlib.crc32(header) != int.from_bytes(start[28:32], "little"):
        raise FlatFileError("the 7z header is truncated or fails its CRC check")
    reader = _Reader(header)
    kind = reader.byte()
    while kind == _K_ENCODED_HEADER:
        info = _read_streams_info(reader)
        if not info["folders"]:
            raise FlatFileError("an encoded 7z header without its stream")
        reader = _Reader(b"".join(_first_folder(fileobj, info)))
        kind = reader.byte()
    if kind != _K_HEADER:
        raise FlatFileError("no 7z header")
    kind = reader.byte()
    if kind == _K_ARCHIVE_PROPERTIES:
        raise FlatFileError("7z archive properties are not supported")
    if kind == _K_ADDITIONAL_STREAMS:
        raise FlatFileError("additional 7z streams are not supported")
    if kind != _K_MAIN_STREAMS:
        raise FlatFileError("the 7z archive holds no stream")
    info = _read_streams_info(reader)
    names = _read_names(reader) if reader.byte() == _K_FILES else []
    if not info["folders"]:
        raise FlatFileError("the 7z archive is empty")
    return (names[0] if names else ""), _first_folder(fileobj, info)


def _number_bytes(value):
    """7z's variable-length number (see :meth:`_Reader.number`)."""
    for extra in range(8):
        if value < 1 << (7 * extra + 7):
            first = ((0xFF << (8 - extra)) & 0xFF) | (value >> (8 * extra))
            return bytes([first]) + (value & ((1 << (8 * extra)) - 1)).to_bytes(extra, "little")
    return b"\xff" + value.to_bytes(8, "little")


def write_archive(out, name, chunks, preset=6):
    """Write ``chunks`` as the one file ``name`` of a 7z archive (LZMA2, as 7-Zip does by
    default) to ``out``, a seekable binary file. For the stand-ins and benchmarks."""
    out.seek(0)
    out.write(b"\x00" * 32)
    dict_size = 1 << 23  # 8 MiB: 7-Zip's default, property byte 22
    compressor = lzma.LZMACompressor(
        lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": preset, "dict_size": dict_size}]
    )
    packed = unpacked = crc = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        unpacked += len(chunk)
        data = compressor.compress(chunk)
        packed += len(data)
        out.write(data)
    data = compressor.flush()
    packed += len(data)
    out.write(data)
    prop = next(p for p in range(41) if ((2 | (p & 1)) << (p // 2 + 11)) >= dict_size)
    file_name = name.encode("utf-16-le") + b"\x00\x00"
    header = (
        bytes([_K_HEADER, _K_MAIN_STREAMS, _K_PACK_INFO])
        + _number_bytes(0)
        + _number_bytes(1)
        + bytes([_K_SIZE])
        + _number_bytes(packed)
        + bytes([_K_END, _K_UNPACK_INFO, _K_FOLDER])
        + _number_bytes(1)
        + b"\x00"  # not external
        + _number_bytes(1)  # one coder
        + bytes([0x20 | len(CODEC_LZMA2)])
        + CODEC_LZMA2
        + _number_bytes(1)
        + bytes([prop])
        + bytes([_K_CODERS_UNPACK_SIZE])
        + _number_bytes(unpacked)
        + bytes([_K_CRC, 1])
        + crc.to_bytes(4, "little")
        + bytes([_K_END, _K_END, _K_FILES])
        + _number_bytes(1)
        + bytes([_K_NAME])
        + _number_bytes(len(file_name) + 1)
        + b"\x00"
        + file_name
        + bytes([_K_END, _K_END])
    )
    out.write(header)
    start = packed.to_bytes(8, "little") + len(header).to_bytes(8, "little") + zlib.crc32(header).to_bytes(4, "little")
    out.seek(0)
    out.write(SIGNATURE + b"\x00\x04" + zlib.crc32(start).to_bytes(4, "little") + start)
    out.seek(0, 2)
