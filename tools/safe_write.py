"""The one way a command writes a file the user named: no symlinks, no silent overwrite, atomic.

A command can run in a checkout someone else wrote (the review Action runs in the pull request's
checkout), where a committed symlink ``lmagent-review.sarif -> ~/.bashrc`` would turn an ordinary
``open(path, "w")`` into a write anywhere the process can write. So, for every file a command writes:

* the file itself must not be a symlink, even with ``force`` (remove the link to write there);
* the directories of the path that lie inside the working directory must not be symlinks either (a
  checkout can commit ``reports -> /home/me/.ssh``); directories above or outside the working
  directory are the user's own choice and are followed (``/tmp`` is a symlink on macOS);
* an existing file is replaced only with ``force``, and only a regular file: a directory, FIFO,
  socket or device is refused (the data never goes *through* it);
* the data goes to a new temporary file in the same directory (random name, ``O_CREAT|O_EXCL``,
  so a planted name cannot redirect it), is fsynced, then hard-linked to the name (no overwrite:
  fails if the name appeared meanwhile) or renamed over the old file (``force``). A reader sees the
  old file or the whole new one, never half of it, and a rename replaces a link, never follows it.

Directories are opened once and used through their descriptor (``dir_fd``), so a directory swapped
for a symlink after the check cannot redirect the write. Errors are an :class:`InputError` naming
the path (one ``path: message`` line, exit 2). POSIX only, like the rest of the tool.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import PurePosixPath

from tools.errors import InputError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# errno values of link() on filesystems without hard links; those fall back to a checked rename.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}


def check_target(path: str, *, force: bool = False) -> None:
    """Refuse early (before any work) a path :func:`write_file` would refuse. Raises InputError."""
    dir_fd, name = _open_directory(path)
    try:
        _existing(dir_fd, name, path, force=force)
    finally:
        os.close(dir_fd)


def write_file(path: str, data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` under the rules above. Raises InputError."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    dir_fd, name = _open_directory(path)
    try:
        old = _existing(dir_fd, name, path, force=force)
        temp = f".lmagent-{secrets.token_hex(8)}.tmp"
        try:
            _write_temp(dir_fd, temp, payload, None if old is None else old.st_mode & 0o777)
            if old is None:
                _link_new(dir_fd, temp, name, path)
            else:
                os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            os.fsync(dir_fd)  # the new directory entry survives a crash too
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), path=path) from None
        finally:
            try:
                os.unlink(temp, dir_fd=dir_fd)
            except FileNotFoundError:
                pass  # renamed into place
            except OSError:
                pass  # reported above (the directory went away)
    finally:
        os.close(dir_fd)


def _open_directory(path: str) -> tuple[int, str]:
    """A descriptor of the directory that holds ``path``, and the file's name in it."""
    if not path or path.endswith("/"):
        raise InputError("not a file name", path=path or "''")
    pure = PurePosixPath(path)
    name = pure.name
    if name in ("", ".", ".."):
        raise InputError("not a file name", path=path)
    parts = list(pure.parent.parts)
    try:
        if pure.is_absolute():
            inside = _inside_cwd(parts)
            if inside is None:  # outside the working directory: the user's own directories
                return os.open(str(pure.parent), _DIR_FLAGS), name
            parts = inside
        return _walk_without_symlinks(parts, path), name
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None


def _inside_cwd(parts: list[str]) -> list[str] | None:
    """The components below the working directory of an absolute directory path, or None."""
    cwd = PurePosixPath(os.getcwd()).parts
    return parts[len(cwd):] if tuple(parts[:len(cwd)]) == cwd else None


def _walk_without_symlinks(parts: list[str], path: str) -> int:
    """Open the directories ``parts`` (relative to the working directory) one by one, refusing symlinks
    among those inside it."""
    fd = os.open(".", _DIR_FLAGS)
    depth = 0  # below the working directory; once `..` leaves it, the rest is the user's choice
    try:
        for part in parts:
            if part == ".":
                continue
            if depth >= 0:
                depth += -1 if part == ".." else 1
            inside = depth > 0 or (depth == 0 and part != "..")
            try:
                child = os.open(part, _DIR_FLAGS | (os.O_NOFOLLOW if inside else 0), dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(fd, part):
                    raise InputError(f"directory {part!r} of the path is a symbolic link: refusing to write "
                                     "through it", path=path) from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _is_symlink(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _existing(dir_fd: int, name: str, path: str, *, force: bool) -> os.stat_result | None:
    """The stat of the file to be replaced (None when there is none), or InputError if it may not be."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        raise InputError("is a symbolic link: refusing to write through it (remove the link to write here)",
                         path=path)
    if not stat.S_ISREG(mode):
        raise InputError(f"is {_kind(mode)}, not a regular file: refusing to write to it", path=path)
    if not force:
        raise InputError("already exists: pass --force to overwrite it", path=path)
    return st


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "a special file"


def _write_temp(dir_fd: int, temp: str, payload: bytes, mode: int | None) -> None:
    fd = os.open(temp, _TEMP_FLAGS, 0o666, dir_fd=dir_fd)  # the umask applies, as to any new file
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # --force keeps the replaced file's permissions
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_new(dir_fd: int, temp: str, name: str, path: str) -> None:
    """Give the temporary file its name only if the name is still free (link fails if it exists)."""
    try:
        os.link(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        _existing(dir_fd, name, path, force=False)  # says what appeared there
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        _existing(dir_fd, name, path, force=False)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
