#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal (its controlling terminal), types the given
lines one at a time when it goes quiet, and prints {"output": ..., "code": ...} as JSON.
Used by tests/prompt_tty.rs to check that secrets typed at a prompt are not echoed.
Usage: pty_run.py LINES_JSON -- ARGV..."""
import json
import os
import pty
import select
import sys
import time


def main():
    lines = json.loads(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    sent = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.3)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        elif sent < len(lines):
            os.write(fd, lines[sent].encode())
            sent += 1
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"output": out.decode(errors="replace"),
                      "code": os.waitstatus_to_exitcode(status)}))


main()
