"""gunicorn's settings for the portal, read from this folder by ``gunicorn wsgi:app``
(options on the command line still win).

``preload_app``: the app is built once, in the master, and every worker is forked from
it: the code, the catalogs, the country names and the password data are loaded once and
shared by the workers instead of once per worker, and a misconfiguration stops gunicorn
before any worker starts.

The garbage collector, as Python's documentation of ``gc.freeze`` advises for a process
that forks without exec: off while the master loads the app, everything loaded so far
frozen right before each fork, on again in the worker. A worker's collections then never
walk (nor, by touching them, copy) the hundreds of thousands of objects the app is made
of: full collections cost a tenth of their time, and the ~100 ms pause every few hundred
requests is gone.
"""

import ctypes
import ctypes.util
import gc
import threading
import time

preload_app = True
IDLE_SECONDS = 1.0  # how long a worker waits without a request before it gives memory back

gc.disable()


class Trimmer:
    """Memory given back to the system once a worker has been idle for a second.

    Each password check takes argon2id's 19 MiB from the heap and frees it; glibc keeps
    the freed pages for the next check, so a worker that has checked one password holds
    19 MB more for good. Handing them back after every check makes each check fault them
    in again: a quarter slower (20 → 25 ms per hash on this machine). So, as jemalloc's
    decay does, the pages go back with ``malloc_trim`` when no request has finished for
    ``IDLE_SECONDS``: a busy worker keeps them and hashes at full speed, a resting one
    does not hold them. Not glibc: nothing is trimmed."""

    def __init__(self) -> None:
        self.finished = 0.0
        self.pending = False
        try:
            self.malloc_trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
        except (OSError, AttributeError, TypeError):
            self.malloc_trim = None

    def request_finished(self) -> None:
        self.finished = time.monotonic()
        self.pending = True

    def start(self) -> None:
        if self.malloc_trim is not None:
            threading.Thread(target=self.run, name="malloc-trim", daemon=True).start()

    def run(self) -> None:
        while True:
            time.sleep(IDLE_SECONDS / 2)
            if self.pending and time.monotonic() - self.finished >= IDLE_SECONDS:
                self.pending = False
                self.malloc_trim(0)


trimmer = Trimmer()


def pre_fork(server, worker):
    gc.freeze()


def post_fork(server, worker):
    gc.enable()
    trimmer.start()
    # No connection may be shared with the master or a sibling: the pool starts empty.
    from portal.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)


def post_request(worker, req, environ, resp):
    trimmer.request_finished()
