"""Walls around the process that runs student code (the untrusted side of the trust boundary).

The worker (:mod:`autograder.worker`) loads this file by path and calls :func:`enter` right
after it starts and before it reads any student code. Each layer is tried for real; the
ones that took effect are reported back to the grader, which shows them (``--verbose``, the
``sandbox`` key of the JSON result) and can refuse to grade without them
(``AUTOGRADER_SANDBOX=strict``).

Layers, strongest first (see docs/threat-model.md):

``pidns``
    a new PID namespace: the worker is PID 1 of its own tree, sees no other process, and
    everything it spawns (fork bombs, daemons, ``setsid`` escapees) dies with it.
``mountns`` / ``view``
    a new mount namespace whose root is a fresh tmpfs holding read-only binds of only what
    Python needs (``/usr``, a few ``/etc`` files, the interpreter's prefix, the venv, the
    ``autograder`` package) and a private, size-limited, writable home. ``solutions/``,
    ``checks/``, the reference cache, results, gradebook and other submissions do not exist
    in it. ``pivot_root`` then detaches the old root.
``netns``
    a new network namespace with no interfaces up: no network.
``uid``
    when started as root: drop to an unused uid/gid of its own (no supplementary groups,
    ``no_new_privs``), so ``RLIMIT_NPROC`` binds and nothing of root's is readable.
``userns``
    when not root: an unprivileged user namespace makes the layers above possible; all
    capabilities are dropped after the view is built.
``memcg``
    the worker and everything it starts share one memory cgroup that the grader made
    (:class:`MemoryCgroup`: v2 where the unified hierarchy has the memory controller, else
    v1), limited to ``memory_limit_mb``: anonymous memory, memfd, SysV and POSIX shared
    memory and tmpfs pages all count, so a submission that exceeds it is killed (the
    address-space rlimit does not see memfd or shared memory pages).
``seccomp``
    where no memory cgroup could be made: ``memfd_create`` and SysV ``shmget`` fail with
    EPERM (through ``pyseccomp``, a binding of libseccomp), so those pages cannot be
    allocated outside the address-space limit; POSIX shared memory lives in the view's
    16 MiB ``/dev/shm``.

This module imports only the standard library; it must not import ``autograder``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import platform
import resource
import signal
import stat
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(platform.machine())

# /etc files Python, numpy and torch read; nothing else of /etc is shown.
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "mime.types",
)
DEV_FILES = ("null", "zero", "full", "random", "urandom")
TOP_SYSTEM = ("usr", "bin", "lib", "lib32", "lib64", "libx32", "sbin")
UID_BASE = 1_000_000_000  # sandbox uids: UID_BASE + pid of the worker, never a real account


class SandboxError(OSError):
    pass


class SandboxUnavailable(RuntimeError):
    """AUTOGRADER_SANDBOX=strict and student code could see a protected path (the grader exits 2)."""


@functools.cache
def libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise SandboxError(e, f"{what}: {os.strerror(e)}")


def unshare(flags: int) -> None:
    _check(libc().unshare(ctypes.c_int(flags)), "unshare")


def mount(source, target, fstype, flags=0, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)
    _check(libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def umount2(target, flags=0) -> None:
    _check(libc().umount2(os.fsencode(target), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new, old) -> None:
    if SYS_PIVOT_ROOT is None:
        raise SandboxError(errno.ENOSYS, "pivot_root: unknown architecture")
    _check(libc().syscall(ctypes.c_long(SYS_PIVOT_ROOT), os.fsencode(new), os.fsencode(old)), "pivot_root")


def prctl(option, arg2=0) -> None:
    _check(
        libc().prctl(
            ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)
        ),
        f"prctl {option}",
    )


def drop_capabilities() -> None:
    """capset(2) with empty sets (used inside a user namespace, where setuid cannot drop them)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    hdr = Header(0x20080522, 0)
    data = (Data * 2)()
    _check(libc().capset(ctypes.byref(hdr), ctypes.byref(data)), "capset")


# --------------------------------------------------------------------------------------
# the view: a tmpfs root with read-only binds of what Python needs
# --------------------------------------------------------------------------------------
def _mkdirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _bind(src: str, root: str, *, readonly=True, rec=True) -> bool:
    if not os.path.lexists(src):
        return False
    dst = root + src
    if os.path.islink(src) and os.path.dirname(src) == "/":  # /bin -> usr/bin: keep the link
        if not os.path.lexists(dst):
            os.symlink(os.readlink(src), dst)
        return True
    src = os.path.realpath(src)
    if os.path.isdir(src):
        _mkdirs(dst)
    else:
        _mkdirs(os.path.dirname(dst))
        if not os.path.exists(dst):
            with open(dst, "w"):
                pass
    mount(src, dst, None, MS_BIND | (MS_REC if rec else 0))
    if readonly:
        try:
            mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        except SandboxError:  # inside a user namespace nodev may be locked: keep what is allowed
            mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    return True


def _under(path: str, parent: str) -> bool:
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def visible_paths(extra=()) -> list[str]:
    """What the worker's Python needs: its prefixes, sys.path and the autograder package."""
    import importlib.util

    paths = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    try:
        spec = importlib.util.find_spec("autograder")  # finds, does not import
        if spec and spec.submodule_search_locations:
            paths.update(spec.submodule_search_locations)
    except (ImportError, ValueError):
        pass
    paths.update(extra)
    out = []
    for p in sorted({os.path.realpath(p) for p in paths if p}):
        if p == "/" or any(_under(p, q) for q in out):
            continue
        out.append(p)
    return out


def build_view(root: str, home: str, cfg: dict) -> None:
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    for name in TOP_SYSTEM:
        _bind("/" + name, root)
    for name in ETC_FILES:
        _bind("/etc/" + name, root)
    for p in visible_paths(cfg.get("expose", ())):
        if any(_under(p, h) or _under(h, p) for h in cfg.get("protect", ())):
            continue  # a prefix that holds a protected folder is never shown whole
        _bind(p, root)
    _mkdirs(root + "/dev")
    for name in DEV_FILES:
        _bind("/dev/" + name, root, readonly=False, rec=False)
    _mkdirs(root + "/dev/shm")
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777")
    _mkdirs(root + "/proc")
    with contextlib.suppress(SandboxError):  # no /proc: Python, numpy and torch still work
        mount(
            "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2" if cfg.get("pidns") else None
        )
    _mkdirs(root + home)
    opts = f"size={int(cfg.get('home_mb', 256))}m,mode=0700"
    if cfg.get("uid") is not None:
        opts += f",uid={cfg['uid']},gid={cfg['uid']}"
    mount("tmpfs", root + home, "tmpfs", MS_NOSUID | MS_NODEV, opts)


def _enter_view(home: str, cfg: dict) -> None:
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    staging = home  # exists on the host; in this namespace it becomes the new root
    build_view(staging, home, cfg)
    old = staging + "/.old"
    os.mkdir(old)
    try:
        pivot_root(staging, old)
        os.chdir("/")
        umount2("/.old", MNT_DETACH)
        os.rmdir("/.old")
    except SandboxError:  # e.g. root on rootfs: chroot (no escape once capabilities are gone)
        os.rmdir(old)
        os.chdir(staging)
        os.chroot(".")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(home)


# --------------------------------------------------------------------------------------
# memory: a cgroup the grader makes per worker, or seccomp where it cannot
# --------------------------------------------------------------------------------------
class MemoryCgroup:
    """A memory cgroup for one worker, made by the grader (which must be allowed to: root on CI
    and instructor machines) under its own cgroup: v2 where the unified hierarchy has the
    memory controller, else v1's memory hierarchy. The worker joins it itself
    (:func:`join_cgroup`) before any student code runs, in both the started and the forked path."""

    _count = 0

    def __init__(self, path: str, version: int):
        self.path, self.version = path, version

    @staticmethod
    def _mounts():
        """(mount point, fstype, super options) of every cgroup file system."""
        out = []
        try:
            with open("/proc/self/mountinfo") as f:
                for line in f:
                    left, _, right = line.partition(" - ")
                    fields, rfields = left.split(), right.split()
                    if len(fields) >= 5 and len(rfields) >= 3 and rfields[0] in ("cgroup", "cgroup2"):
                        out.append((fields[4], rfields[0], rfields[2].split(",")))
        except OSError:
            pass
        return out

    @classmethod
    def parent(cls):
        """(folder, version) of this process's own memory cgroup, or (None, why)."""
        try:
            with open("/proc/self/cgroup") as f:
                own = [line.rstrip("\n").split(":", 2) for line in f]
        except OSError as exc:
            return None, f"no /proc/self/cgroup ({exc.strerror})"
        mounts = cls._mounts()
        for mnt, fstype, _opts in mounts:  # v2 first
            if fstype == "cgroup2":
                rel = next((p for h, c, p in own if h == "0" and c == ""), None)
                if rel is None:
                    continue
                folder = mnt + rel.rstrip("/") if rel != "/" else mnt
                try:
                    with open(os.path.join(folder, "cgroup.controllers")) as f:
                        if "memory" in f.read().split():
                            return (folder, 2), ""
                except OSError:
                    continue
        for mnt, fstype, opts in mounts:
            if fstype == "cgroup" and "memory" in opts:
                rel = next((p for h, c, p in own if "memory" in c.split(",")), None)
                if rel is not None:
                    folder = mnt + rel.rstrip("/") if rel != "/" else mnt
                    if os.path.isdir(folder):
                        return (folder, 1), ""
        return None, "no cgroup memory controller here"

    @classmethod
    def create(cls, limit_bytes: int):
        """(cgroup, "") or (None, why not)."""
        found, why = cls.parent()
        if found is None:
            return None, why
        folder, version = found
        cls._count += 1
        cls._sweep(folder)
        path = os.path.join(folder, f"autograder-{os.getpid()}-{cls._count}")
        try:
            if version == 2:
                try:
                    with open(os.path.join(folder, "cgroup.subtree_control")) as f:
                        enabled = "memory" in f.read().split()
                    if not enabled:
                        _write(os.path.join(folder, "cgroup.subtree_control"), "+memory")
                except OSError as exc:
                    return None, f"cgroup v2: cannot enable the memory controller under {folder} ({exc.strerror})"
            os.mkdir(path, 0o755)
            cg = cls(path, version)
            try:
                if version == 2:
                    _write(os.path.join(path, "memory.max"), str(limit_bytes))
                    for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                        if os.path.exists(os.path.join(path, name)):
                            _write(os.path.join(path, name), value)
                else:
                    _write(os.path.join(path, "memory.limit_in_bytes"), str(limit_bytes))
                    if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):  # no escape into swap
                        _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(limit_bytes))
            except OSError:
                cg.remove()
                raise
        except OSError as exc:
            return None, f"cannot make a memory cgroup under {folder} ({exc.strerror})"
        return cg, ""

    @staticmethod
    def _sweep(folder):
        """Remove cgroups left by graders that are gone (kill -9): empty ones only."""
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            parts = name.split("-")
            ours = len(parts) == 3 and parts[0] == "autograder" and parts[1].isdigit()
            if ours and parts[1] != str(os.getpid()) and not os.path.exists(f"/proc/{parts[1]}"):
                with contextlib.suppress(OSError):  # another grader may be removing it too
                    os.rmdir(os.path.join(folder, name))

    def peak_bytes(self) -> int | None:
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            try:
                with open(os.path.join(self.path, name)) as f:
                    return int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
        return None

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for exceeding the limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            with open(os.path.join(self.path, name)) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self, wait_s: float = 2.0) -> bool:
        """rmdir once its processes are gone (a killed namespace takes a moment to empty)."""
        import time

        end = time.monotonic() + wait_s
        while True:
            try:
                os.rmdir(self.path)
                return True
            except FileNotFoundError:
                return True
            except OSError:
                if time.monotonic() >= end:
                    return False
                time.sleep(0.02)


def join_cgroup(path: str) -> str:
    """Move this process into the memory cgroup at ``path``; returns "" or why it failed."""
    try:
        _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))
        with open(os.path.join(path, "cgroup.procs")) as f:
            if str(os.getpid()) not in f.read().split():
                return "not listed in its cgroup.procs"
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def deny_shared_memory() -> str:
    """seccomp: memfd_create and SysV shmget fail with EPERM. Returns "" or why not."""
    try:
        import pyseccomp as seccomp  # ctypes binding of libseccomp (Debian's libseccomp2)
    except Exception as exc:  # noqa: BLE001 - missing package or library
        return f"no seccomp binding ({type(exc).__name__}: {exc})"
    try:
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in ("memfd_create", "shmget"):
            f.add_rule(seccomp.ERRNO(errno.EPERM), name)
        f.load()
    except Exception as exc:  # noqa: BLE001
        return f"seccomp failed ({type(exc).__name__}: {exc})"
    return ""


# --------------------------------------------------------------------------------------
# entering the sandbox
# --------------------------------------------------------------------------------------
def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _uid_free(uid: int) -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            for line in f:
                inside, _, count = (int(x) for x in line.split())
                if inside <= uid < inside + count:
                    return True
    except (OSError, ValueError):
        return False
    return False


def _pidns_fork(layers: list) -> None:
    """After unshare(CLONE_NEWPID): fork; the child is PID 1 of the new namespace and goes on.

    The parent stays outside, waits, and exits with the child's status. If the parent is
    killed (the grader kills the process group on timeout) the child gets SIGKILL, and with
    PID 1 gone the kernel kills everything else in the namespace."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(w)
        layers.append("pidns")
        return
    os.close(w)
    for fd in range(3):  # the parent keeps no protocol pipe open
        with contextlib.suppress(OSError):
            os.close(fd)
    # the grader's SIGTERM means "stop it now": kill PID 1 (and with it the namespace), reap it,
    # exit; so no zombie is left for the system's reaper
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def enter(cfg: dict) -> dict:
    """Put this process in the sandbox described by ``cfg``; returns what took effect.

    ``cfg``: ``home`` (writable private folder, also the cwd), ``protect`` (paths that must
    not be visible, verified at the end), ``expose`` (extra read-only paths), ``nproc``,
    ``home_mb``, ``mode`` ("auto", "userns" to force a user namespace, "off")."""
    import time

    t0 = time.perf_counter()
    layers: list[str] = []
    notes: list[str] = []
    home = os.path.realpath(cfg["home"])
    mode = cfg.get("mode", "auto")
    is_root = os.geteuid() == 0
    memcg = False
    if cfg.get("cgroup"):  # first: everything below, and everything the student starts, is inside
        why = join_cgroup(cfg["cgroup"])
        if why:
            notes.append(f"memory cgroup not joined: {why}")
        else:
            memcg = True
    elif cfg.get("cgroup_note"):
        notes.append(f"no memory cgroup: {cfg['cgroup_note']}")
    if mode == "off":
        return {
            "layers": (["memcg"] if memcg else []) + ["rlimits"],
            "notes": [*notes, "sandbox off"],
            "hidden": _verify(cfg),
        }
    use_userns = mode == "userns" or not is_root
    uid = None
    if is_root and not use_userns:
        uid = UID_BASE + os.getpid() if _uid_free(UID_BASE + os.getpid()) else 65534
    cfg = dict(cfg, uid=uid)

    # 1. namespaces: try the full set, then fewer
    outer_uid, outer_gid = os.getuid(), os.getgid()
    base = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if use_userns:
        base |= CLONE_NEWUSER
    got = 0
    for flags in (base | CLONE_NEWPID, base, CLONE_NEWNS | (base & CLONE_NEWUSER), CLONE_NEWNET):
        try:
            unshare(flags)
            got = flags
            break
        except SandboxError as exc:
            notes.append(f"unshare({flags:#x}) failed: {exc.strerror}")
    if got & CLONE_NEWUSER:
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{outer_uid} {outer_uid} 1\n")
            _write("/proc/self/gid_map", f"{outer_gid} {outer_gid} 1\n")
            layers.append("userns")
        except OSError as exc:
            notes.append(f"user namespace map failed: {exc}")
    if got & CLONE_NEWPID:
        cfg["pidns"] = True
        _pidns_fork(layers)
    if got & CLONE_NEWNET:
        layers.append("netns")  # no interface is up, not even loopback
    if got & CLONE_NEWNS:
        try:
            _enter_view(home, cfg)
            layers += ["mountns", "view"]
        except (OSError, SandboxError) as exc:
            notes.append(f"private view failed: {exc}")
    else:
        os.chdir(home)

    # 2. privileges
    if uid is not None and "view" in layers:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            layers.append(f"uid:{uid}")
        except OSError as exc:
            notes.append(f"dropping privileges failed: {exc}")
    elif uid is not None:
        notes.append(
            "not dropping privileges: without the private view the interpreter under "
            f"{sys.base_prefix} might not be readable by an unprivileged user"
        )
    if "userns" in layers:
        try:
            drop_capabilities()
            layers.append("nocaps")
        except SandboxError as exc:
            notes.append(str(exc))
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        layers.append("no_new_privs")
    except SandboxError as exc:
        notes.append(str(exc))
    with contextlib.suppress(SandboxError):
        prctl(PR_SET_DUMPABLE, 0)  # nobody outside can ptrace or read /proc/<pid>/mem of it
    if memcg:
        layers.append("memcg")
    else:  # memfd and shared memory pages are outside RLIMIT_AS: deny them
        why = deny_shared_memory()
        if why:
            notes.append(f"WARNING: memfd and shared memory are not bounded ({why})")
        else:
            layers.append("seccomp")
    if os.getuid() != 0 and cfg.get("nproc"):
        n = int(cfg["nproc"])
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
            layers.append("nproc")
        except (ValueError, OSError) as exc:
            notes.append(f"RLIMIT_NPROC: {exc}")
    layers.append("rlimits")
    hidden = _verify(cfg)
    return {"layers": layers, "notes": notes, "hidden": hidden, "ms": round((time.perf_counter() - t0) * 1000, 1)}


def _verify(cfg) -> dict:
    """For each protected path: True if this process cannot see it (checked, not assumed)."""
    out = {}
    for p in cfg.get("protect", ()):
        try:
            os.stat(p)
            visible = True
        except OSError:
            visible = False
        if visible:
            try:
                if os.path.isdir(p):
                    os.listdir(p)
                else:
                    with open(p, "rb") as f:
                        f.read(1)
            except OSError:
                visible = False
        out[p] = not visible
    return out


def _stat_mode(path):  # pragma: no cover - debugging helper
    return stat.filemode(os.stat(path).st_mode)


def summary(info: dict | None) -> dict:
    """What goes into the grade JSON: the layers in effect and whether protected paths were hidden."""
    if not info:
        return {"layers": [], "protected_hidden": False, "notes": ["student code ran without a sandbox"]}
    hidden = info.get("hidden") or {}
    return {
        "layers": list(info.get("layers") or []),
        "protected_hidden": bool(hidden) and all(hidden.values()),
        "notes": list(info.get("notes") or []),
    }


def describe(info: dict | None) -> str:
    """One line for ``--verbose``."""
    s = summary(info)
    layers = ", ".join(s["layers"]) or "none"
    seen = (
        "solutions/ and hidden checks invisible to student code"
        if s["protected_hidden"]
        else "WARNING: student code could read solutions/ and hidden checks"
    )
    notes = f" [{'; '.join(s['notes'])}]" if s["notes"] else ""
    return f"sandbox: {layers}; {seen}{notes}"
