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

preload_app = True
M_MMAP_THRESHOLD = -3  # mallopt's parameter, from glibc's malloc.h

gc.disable()


def return_large_blocks_to_the_system() -> None:
    """Every password check allocates argon2id's 19 MiB and frees it. glibc serves a block
    that large with mmap and unmaps it when freed, but after the first one it raises its
    threshold above that size, so every later block comes from the heap and stays
    resident: +19 MB per worker for good. A fixed threshold (128 KiB, glibc's default)
    keeps large blocks mapped apart and gives them back. Not glibc: nothing to do."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError, TypeError):
        pass


return_large_blocks_to_the_system()


def pre_fork(server, worker):
    gc.freeze()


def post_fork(server, worker):
    gc.enable()
    # No connection may be shared with the master or a sibling: the pool starts empty.
    from portal.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
