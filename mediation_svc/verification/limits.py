"""Bounds on verifying files uploaded by anyone: decompression, structure, memory, time and concurrency.

``POST /api/v1/verify`` needs no login, and a PDF is a container of compressed streams: 255 KiB can inflate
to 256 MiB. Three lines of defence, in order:

1. ``scan_pdf`` reads the raw file before any PDF library does: it inflates every FlateDecode stream
   (filter chains included) incrementally, counting bytes without keeping them, and stops at the first
   bound: total inflated bytes, number of objects (indirect objects plus those packed in object streams),
   nesting depth of dictionaries and arrays, and filters per stream. Over a bound: 413 or 422
   problem+json, before anything is parsed.
2. The verification itself (``verification.service.verify_bytes``, unchanged) runs in a child process with
   an address-space limit (``RLIMIT_AS``) and a CPU-time limit (``RLIMIT_CPU``), and a wall-clock deadline
   after which it is killed. Whatever the file does, the server process does not grow and is not blocked.
3. At most ``MEDIATION_VERIFY_CONCURRENCY`` verifications run at once per server process; others wait a
   moment and then get 503 with Retry-After.

The child is forked from a ``forkserver`` that has the verification modules imported already, so each
verification costs a fork, not an interpreter start.
"""

from __future__ import annotations

import multiprocessing
import re
import resource
import threading
import zlib
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import DomainError, PayloadTooLarge, ServiceUnavailable

MiB = 1024 * 1024


@dataclass(frozen=True)
class Bounds:
    max_inflated_bytes: int = 128 * MiB  # all streams together, decompressed
    max_objects: int = 200_000
    max_depth: int = 64  # nested << >> and [ ]
    max_filters: int = 4  # filters in one stream's chain
    memory_bytes: int = 1536 * MiB  # the worker's address space (imports included)
    cpu_seconds: int = 60
    wall_seconds: float = 90.0
    concurrency: int = 2
    queue_wait_seconds: float = 5.0


class TooComplex(DomainError):
    status, slug, title = 422, "pdf-too-complex", "The file is too complex to verify"


class InflatesTooMuch(PayloadTooLarge):
    slug, title = "decompression-too-large", "The file decompresses to more than can be verified"


class VerificationBusy(ServiceUnavailable):
    slug, title = "verification-busy", "Too many verifications are running; try again in a moment"


# ---- 1. the raw scan ---------------------------------------------------------------------------------------

_STREAM = re.compile(rb"stream\r?\n")
_OBJ = re.compile(rb"(?<![0-9])\d{1,10}\s+\d{1,5}\s+obj\b")
_TOKEN = re.compile(rb"<<|>>|\[|\]|\((?:\\.|[^\\)])*\)|%[^\r\n]*")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_LENGTH = re.compile(rb"/Length\s+(\d{1,12})(?!\s+\d+\s+R)")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm")
_OBJSTM_N = re.compile(rb"/N\s+(\d{1,9})")
_DICT_START = re.compile(rb"<<")
CHUNK = 64 * 1024
OBJSTM_KEEP = 16 * MiB  # object streams are kept (bounded) to scan the objects packed inside


@dataclass
class _Tally:
    bounds: Bounds
    inflated: int = 0
    objects: int = 0

    def add_inflated(self, n: int) -> None:
        self.inflated += n
        if self.inflated > self.bounds.max_inflated_bytes:
            raise InflatesTooMuch(f"the file's compressed streams inflate to more than "
                                  f"{self.bounds.max_inflated_bytes // MiB} MiB; it is refused unread")

    def add_objects(self, n: int) -> None:
        self.objects += n
        if self.objects > self.bounds.max_objects:
            raise TooComplex(f"the file has more than {self.bounds.max_objects} objects")


def _depth_check(text: bytes, bounds: Bounds) -> None:
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in (b"<<", b"["):
            depth += 1
            if depth > bounds.max_depth:
                raise TooComplex(f"dictionaries or arrays nested more than {bounds.max_depth} deep")
        elif token in (b">>", b"]"):
            depth = max(0, depth - 1)


def _dictionary_before(data: bytes, stream_at: int) -> bytes:
    """The stream's dictionary: from the last ``obj`` header before it (bounded look-back)."""
    start = max(0, stream_at - 4096)
    window = data[start:stream_at]
    headers = list(_OBJ.finditer(window))
    return window[headers[-1].end():] if headers else window


def _inflate(chunks, tally: _Tally):
    """Inflate a zlib stream chunk by chunk, counting; yields the output (kept only by the caller)."""
    inflater = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        # Stop at the stream's end: bytes after it (the EOL before ``endstream`` when /Length is indirect) stay
        # in unconsumed_tail once the output limit was reached, and decompress() takes nothing more after eof.
        while data and not inflater.eof:
            out = inflater.decompress(data, CHUNK)
            tally.add_inflated(len(out))
            if out:
                yield out
            data = inflater.unconsumed_tail
        if inflater.eof:
            return
    rest = inflater.flush()
    if rest:
        tally.add_inflated(len(rest))
        yield rest


def _decode_chain(raw: bytes, filters: list[bytes], tally: _Tally, keep: bool) -> bytes | None:
    """Run the chain as a PDF reader would; only FlateDecode expands, so only it is counted. Returns the
    decoded bytes when ``keep`` (object streams), None otherwise."""
    import base64
    import binascii

    chunks = [raw]
    for index, name in enumerate(filters):
        last = index == len(filters) - 1
        if name in (b"FlateDecode", b"Fl"):
            produced = _inflate(iter(chunks), tally)
            if last and not keep:
                for _ in produced:
                    pass
                return None
            joined, size = [], 0
            for out in produced:
                size += len(out)
                if size > OBJSTM_KEEP and (keep or not last):
                    raise TooComplex("a stream nests compression inside compression beyond what can be verified")
                joined.append(out)
            chunks = [b"".join(joined)]
        elif name in (b"ASCIIHexDecode", b"AHx"):
            text = re.sub(rb"\s", b"", b"".join(chunks)).split(b">")[0]
            chunks = [binascii.unhexlify(text + b"0" * (len(text) % 2))]
        elif name in (b"ASCII85Decode", b"A85"):
            text = b"".join(chunks).strip()
            text = text[2:] if text.startswith(b"<~") else text
            chunks = [base64.a85decode(text.split(b"~>")[0] + b"~>", adobe=True)]
        else:
            return None  # image codecs and the like: not decoded when verifying
    return b"".join(chunks) if keep else None


def scan_pdf(data: bytes, bounds: Bounds = Bounds()) -> None:
    """Refuse (413/422) a file over the bounds; a file that is merely odd passes on to the verifier."""
    tally = _Tally(bounds)
    tally.add_objects(len(_OBJ.findall(data)))
    position, outside = 0, []
    while True:
        match = _STREAM.search(data, position)
        if match is None:
            outside.append(data[position:])
            break
        outside.append(data[position:match.start()])
        dictionary = _dictionary_before(data, match.start())
        begin = match.end()
        end = data.find(b"endstream", begin)
        end = len(data) if end < 0 else end
        declared = _LENGTH.search(dictionary)
        if declared and begin + int(declared.group(1)) <= end:
            end = begin + int(declared.group(1))
        _check_stream(data[begin:end], dictionary, tally, bounds)
        position = max(end, begin)
        skip = data.find(b"endstream", position)
        position = skip + len(b"endstream") if skip >= 0 else len(data)
    _depth_check(b"".join(outside), bounds)


def _check_stream(raw: bytes, dictionary: bytes, tally: _Tally, bounds: Bounds) -> None:
    found = _FILTER.search(dictionary)
    if not found:
        return
    filters = [m.group(1) for m in _NAME.finditer(found.group(1))]
    if len(filters) > bounds.max_filters:
        raise TooComplex(f"a stream has {len(filters)} filters in a chain (at most {bounds.max_filters})")
    object_stream = bool(_OBJSTM.search(dictionary))
    try:
        decoded = _decode_chain(raw, filters, tally, keep=object_stream)
    except (zlib.error, ValueError):
        return  # undecodable here (encrypted, damaged): the worker's own limits still hold
    if object_stream and decoded is not None:
        packed = _OBJSTM_N.search(dictionary)
        tally.add_objects(int(packed.group(1)) if packed else 0)
        _depth_check(decoded, bounds)


# ---- 2. the worker process -------------------------------------------------------------------------------

_context = None
_context_lock = threading.Lock()


def _mp_context():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["mediation_svc.verification.service"])
            _context = context
        return _context


def _child(conn: Connection, key_dir: str, data: bytes, file_name: str | None, memory: int, cpu: int,
           now) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        from ..pki.keystore import KeyStore
        from . import service

        # Only the public root certificate is read from the key directory: no passphrase, no private key.
        report = service.verify_bytes(KeyStore(Path(key_dir), b""), data=data, file_name=file_name, now=now)
        conn.send(("ok", report.model_dump_json()))
    except DomainError as exc:
        conn.send(("problem", (type(exc).__module__, type(exc).__name__, exc.detail)))
    except MemoryError:
        conn.send(("memory", None))
    finally:
        conn.close()


def _problem_from(module: str, name: str, detail: str) -> DomainError:
    import importlib

    cls = getattr(importlib.import_module(module), name, None)
    if isinstance(cls, type) and issubclass(cls, DomainError):
        return cls(detail)
    return TooComplex(detail)


def verify_in_worker(*, key_dir: Path, data: bytes, file_name: str | None, bounds: Bounds = Bounds(),
                     now=None):
    """``verification.service.verify_bytes`` in a child process under memory, CPU and wall-clock limits."""
    from .schemas import VerificationReport

    context = _mp_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, str(key_dir), data, file_name, bounds.memory_bytes,
                                                   bounds.cpu_seconds, now), daemon=True)
    try:
        process.start()
    except OSError as exc:  # the forkserver could not start it
        raise VerificationBusy("the verification worker could not be started; try again in a moment",
                               retry_after_seconds=5) from exc
    finally:
        sender.close()
    try:
        if not receiver.poll(bounds.wall_seconds):
            raise TooComplex(f"verifying this file takes longer than {int(bounds.wall_seconds)} s; it was stopped")
        kind, payload = receiver.recv()
    except EOFError:
        kind, payload = "died", None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if kind == "ok":
        return VerificationReport.model_validate_json(payload)
    if kind == "problem":
        raise _problem_from(*payload)
    raise TooComplex("the file needs more memory or time to verify than is allowed for uploads")


# ---- 3. concurrency --------------------------------------------------------------------------------------

class Slots:
    """At most ``n`` verifications at once in this process; a caller waits briefly, then gets 503."""

    def __init__(self, n: int, wait_seconds: float) -> None:
        self._semaphore = threading.BoundedSemaphore(n)
        self._wait = wait_seconds

    def __enter__(self) -> Slots:
        if not self._semaphore.acquire(timeout=self._wait):
            raise VerificationBusy("other verifications are running; try again in a few seconds",
                                   retry_after_seconds=5)
        return self

    def __exit__(self, *exc) -> None:
        self._semaphore.release()


_slots: dict[tuple[int, float], Slots] = {}


def slots_for(bounds: Bounds) -> Slots:
    key = (bounds.concurrency, bounds.queue_wait_seconds)
    with _context_lock:
        return _slots.setdefault(key, Slots(*key))


def verify_upload(session, keystore, *, data: bytes, file_name: str | None, address: str | None,
                  bounds: Bounds = Bounds(), now=None):
    """What ``verification.service.verify_upload`` answers, for a file from anyone: the same throttle,
    the raw scan, the verification in a bounded worker, then the registry section."""
    from ..security import throttle
    from . import service

    if address is not None:
        throttle.ensure_allowed(session, bucket=service.VERIFY_BUCKET, key=address,
                                limit=service.VERIFICATIONS_PER_WINDOW, window=service.VERIFY_WINDOW,
                                message="Too many verifications from this address; try again later.")
        throttle.count_attempt(session, bucket=service.VERIFY_BUCKET, key=address)
    service.check_upload(data)
    scan_pdf(data, bounds)
    with slots_for(bounds):
        report = verify_in_worker(key_dir=keystore.directory, data=data, file_name=file_name, bounds=bounds,
                                  now=now)
    report.registry = service.registry_for(session, report.file_sha256)
    return report


def bounds_from(settings) -> Bounds:
    return Bounds(max_inflated_bytes=settings.verify_max_inflated_mib * MiB,
                  memory_bytes=settings.verify_worker_memory_mib * MiB,
                  wall_seconds=float(settings.verify_worker_seconds),
                  cpu_seconds=int(settings.verify_worker_seconds),
                  concurrency=settings.verify_concurrency)
