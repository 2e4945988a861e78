"""A runtime's fork server: import TensorFlow once, then fork a fresh worker per request.

Started by `worker_processes.ForkServer` as `python -m migrator.convert.forkserver FD` in a
TensorFlow env, with FD one end of a Unix socket pair (the control channel). It imports
TensorFlow, Keras, tf-keras, h5py and migrator's conversion code (the 3-10 s a runtime takes to
start), says `ready`, and then, for each message that carries a socket (SCM_RIGHTS), forks a
worker that serves requests on that socket (`worker.serve`) and replies with the worker's pid.
So a batch pays a runtime's start-up once, however many workers (`--jobs`) it runs and however
many times a hung or crashed worker is replaced.

Only imports happen before the fork: no TensorFlow op has run, no session or thread pool exists,
so each child starts from the state a fresh interpreter reaches after `import tensorflow`.
The server reaps its children and reports each exit (`{"exited": pid, "status": code}`, negative
for a signal); when the control channel closes (the main process ended, however) it kills the
workers it forked and exits, and each worker dies with it (PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys

# What a worker needs; each is imported if this runtime has it.
_PRELOAD = (
    "numpy",
    "h5py",
    "tensorflow",
    "keras",
    "tf_keras",
    "migrator.convert.worker",
    "migrator.convert.runner",
    "migrator.convert.graph_runs",
    "migrator.convert.keras3_build",
)
_REAP_EVERY = 5.0  # seconds between checks for exited workers besides SIGCHLD's wake-ups


def _preload() -> None:
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a runtime without tf_keras (2.12-2.15) or keras 3 pieces
            continue


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the fork server exits (whatever ends it)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _child(control: socket.socket, channel: int, log: str) -> None:
    """The forked worker: log to its own file, serve requests on `channel`, exit."""
    from migrator.convert import worker

    code = 0
    try:
        control.close()
        _die_with_parent()
        signal.set_wakeup_fd(-1)  # the server's wake-up pipe is not this worker's
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        worker.protect_replies()
        conn = socket.socket(fileno=channel)
        requests = conn.makefile("r", encoding="utf-8")
        replies = conn.makefile("w", encoding="utf-8", buffering=1)
        worker.serve(requests, replies)
    except BaseException:  # the worker's end, whatever it was: never back into the server loop
        code = 1
    finally:
        os._exit(code)


def _reap(control: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        control.sendall((json.dumps({"exited": pid, "status": code}) + "\n").encode())


def _child_exits() -> int:
    """A descriptor that becomes readable when a child exits (SIGCHLD through the interpreter's
    wake-up fd): the server reports a worker's exit at once, so a batch that ends or replaces a
    worker does not wait for the next poll."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a Python handler: the wake-up fd is written
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    return wake_read


def serve(control: socket.socket) -> None:
    children: set[int] = set()
    exits = _child_exits()
    try:
        control.sendall(b'{"ready": true}\n')
        while True:
            ready, _, _ = select.select([control, exits], [], [], _REAP_EVERY)
            if exits in ready:  # the bytes say nothing: drained so select waits again
                try:
                    os.read(exits, 4096)  # more left (a burst of exits) wakes select again
                except BlockingIOError:
                    pass
            _reap(control, children)
            if control not in ready:
                continue
            message, fds, _flags, _addr = socket.recv_fds(control, 65536, 1)
            if not message:
                return  # the main process closed the channel or died
            request = json.loads(message.decode())
            if not fds:
                continue
            pid = os.fork()
            if pid == 0:
                _child(control, fds[0], request["log"])
            os.close(fds[0])
            children.add(pid)
            control.sendall((json.dumps({"pid": pid}) + "\n").encode())
    except (OSError, ValueError):
        return
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def main() -> int:
    control = socket.socket(fileno=int(sys.argv[1]))
    if not hasattr(socket, "recv_fds"):  # Python < 3.9 (TF 2.12 envs may have 3.8)
        control.sendall(b'{"ready": false, "spawn": true}\n')
        return 0
    os.dup2(2, 1)  # library chatter goes to the server's log, never to a channel
    sys.stdout = sys.stderr
    _preload()
    serve(control)
    # Nothing is left to flush or save, and tearing down an interpreter that imported TensorFlow
    # takes about a second: end now, so a batch does not wait for each runtime's teardown.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
