"""SIMS exports: pure readers that turn a CommandReporter XML or Tether JSON file into normalised students.

`read_export(path)` recognises the format, reads the file and returns an `Export`; a file that cannot
be read raises one `SimsFileError` whose message says what is wrong and what to do. No database here.

Reading is a pure function of the file's bytes and the caption mapping, so the last few exports read
are remembered by their SHA-256: the console's preview and the import that follows it, or a halted
run confirmed, read the file once.
"""
import hashlib
import os
import threading
from collections import OrderedDict

from .json_reader import read_json
from .normalise import Address, Email, Export, SenProvision, SimsFileError, SimsStudent, Telephone
from .xml_reader import DEFAULT_CAPTIONS, caption_fields, read_xml, report_captions

FORMATS = ("auto", "xml", "json")

_REMEMBERED = 2
_recent = OrderedDict()
_recent_lock = threading.Lock()


def file_sha256(path):
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def detect_format(head):
    """'xml' or 'json' from a file's first bytes, whatever its encoding; SimsFileError otherwise."""
    if not head.strip():
        raise SimsFileError("the file is empty. Export the report again from SIMS and use that file.")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom):].decode(encoding, "ignore")
            break
    else:
        if len(head) > 1 and head[0] == 0:
            head = head.decode("utf-16-be", "ignore")
        elif len(head) > 1 and head[1] == 0:
            head = head.decode("utf-16-le", "ignore")
        else:
            head = head.decode("latin-1")
    first = head.lstrip()[:1]
    if first == "<":
        return "xml"
    if first in ("{", "["):
        return "json"
    raise SimsFileError(
        "the file is neither XML nor JSON. Export the CommandReporter report as XML (or a Tether JSON file) and use that."
    )


class _Progress:
    """A binary file that reports how far it has been read: progress(bytes read, file size)."""

    def __init__(self, fh, progress):
        self._fh = fh
        self._progress = progress
        self._size = os.fstat(fh.fileno()).st_size

    def read(self, size=-1):
        data = self._fh.read(size)
        self._progress(self._fh.tell(), self._size)
        return data

    def seek(self, offset, whence=0):
        return self._fh.seek(offset, whence)


def read_export(path, format="auto", captions=None, progress=None):
    """The export at `path` as an `Export` (students in file order). Raises SimsFileError.

    `captions` maps fields to a school's own CommandReporter captions (see DEFAULT_CAPTIONS);
    `progress(bytes_read, file_size)` is called as the file is read.
    """
    if format not in FORMATS:
        raise SimsFileError(f"unknown format '{format}'; use one of {', '.join(FORMATS)}")
    caption_fields(captions)  # a bad mapping is refused before the file is read
    with open(path, "rb") as fh:
        data_sha = hashlib.file_digest(fh, "sha256").hexdigest()
        key = (data_sha, format, tuple(sorted((captions or {}).items())))
        with _recent_lock:
            if key in _recent:
                _recent.move_to_end(key)
                return _recent[key]
        fh.seek(0)
        chosen = detect_format(fh.read(512)) if format == "auto" else format
        fh.seek(0)
        stream = _Progress(fh, progress) if progress else fh
        students, rows = read_xml(stream, captions) if chosen == "xml" else read_json(stream)
    export = Export(format=chosen, students=tuple(students), rows=rows, sha256=data_sha)
    with _recent_lock:
        _recent[key] = export
        while len(_recent) > _REMEMBERED:
            _recent.popitem(last=False)
    return export


__all__ = [
    "Address",
    "DEFAULT_CAPTIONS",
    "Email",
    "Export",
    "FORMATS",
    "SenProvision",
    "SimsFileError",
    "SimsStudent",
    "Telephone",
    "detect_format",
    "file_sha256",
    "read_export",
    "report_captions",
]
