"""Secrets generated once and kept in the instance folder (the secret key, the demo password)."""
import os


def kept_secret(instance_path, name, make):
    """The contents of instance/<name>, written with `make()` (readable by the owner only) on first use."""
    path = os.path.join(instance_path, name)
    if not os.path.exists(path):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process wrote it first: read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
    with open(path) as fh:
        return fh.read().strip()
