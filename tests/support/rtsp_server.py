#!/usr/bin/python3
"""Loopback RTSP camera peer for Vigil's integration tests (GStreamer RTSP server).

Usage:
    /usr/bin/python3 tests/support/rtsp_server.py [--port N] \
        --mount NAME[:CODEC[:WxH[:FPS]]] | NAME=FILE[#h265] [--mount ...] \
        [--auth basic|digest --user U --password P] [--exit-on-stdin-eof]
        [--address IP]

    --port N             TCP port on 127.0.0.1; 0 (default) lets the OS pick one.
    --mount SPEC         served at rtsp://127.0.0.1:PORT/NAME; CODEC is h264 (default)
                         or h265; default 320x240 at 15 fps; keyframe every FPS frames,
                         no B-frames; content is a moving ball (videotestsrc).
                         e.g. --mount cam1 --mount cam2:h265:640x360:25
    --auth basic|digest  require these credentials on every mount (anonymous -> 401).
    --exit-on-stdin-eof  exit when stdin reaches EOF (harness died or closed the pipe).
    --address IP         listen on IP instead of 127.0.0.1 (the zero-egress test serves
                         a camera from another network namespace).

Once listening it prints exactly one line "READY port=<port>" on stdout (flushed);
everything else goes to stderr. Harnesses should wait for READY with a generous timeout
(normally ~0.2 s, but seconds on a loaded CI machine) and prefer --port 0.
Exits 0 on SIGTERM/SIGINT (and on stdin EOF if asked), 2 on bad arguments, 3 if it
cannot listen (e.g. port in use).

Each mount's media is shared by all clients and is torn down when the last client
leaves, so an idle server burns no CPU. Like a camera, the stream is live and not
seekable (SDP "a=range:npt=now-"): a client joining never resets the others' timestamps.
Needs Debian packages python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base,
-good (RTP payloaders), -ugly (x264enc), -bad (x265enc, h264parse, h265parse).
Run it with /usr/bin/python3 (the system python, which has gi), not a venv's python.
"""

import argparse
import os
import re
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ROLE = "user"
# Ball foreground/background colours (ARGB) so different mounts look different.
COLOURS = [
    (0xFFFFFFFF, 0xFF203040),
    (0xFFFFD000, 0xFF102010),
    (0xFF40C0FF, 0xFF301010),
    (0xFFFF6060, 0xFF101030),
    (0xFF80FF80, 0xFF303030),
]


def log(msg):
    sys.stderr.write("rtsp_server: %s\n" % msg)
    sys.stderr.flush()


def parse_mount(spec):
    if "=" in spec:
        # NAME=PATH[#h265]: serve an encoded file as it is (no re-encoding), paced by
        # its timestamps; it plays once.
        name, path = spec.split("=", 1)
        codec = "h264"
        if "#" in path:
            path, codec = path.rsplit("#", 1)
        if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", name):
            raise argparse.ArgumentTypeError("bad mount name %r" % name)
        if codec not in ("h264", "h265"):
            raise argparse.ArgumentTypeError("codec must be h264 or h265, not %r" % codec)
        if not os.path.isfile(path):
            raise argparse.ArgumentTypeError("no such file %r" % path)
        return {"name": name, "codec": codec, "file": os.path.abspath(path)}
    parts = spec.split(":")
    if len(parts) > 4:
        raise argparse.ArgumentTypeError("too many fields in mount %r" % spec)
    name = parts[0]
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", name):
        raise argparse.ArgumentTypeError("bad mount name %r" % name)
    codec = (parts[1] if len(parts) > 1 and parts[1] else "h264").lower()
    if codec not in ("h264", "h265"):
        raise argparse.ArgumentTypeError("codec must be h264 or h265, not %r" % codec)
    width, height = 320, 240
    if len(parts) > 2 and parts[2]:
        m = re.fullmatch(r"(\d+)x(\d+)", parts[2])
        if not m or int(m.group(1)) < 16 or int(m.group(2)) < 16:
            raise argparse.ArgumentTypeError("bad size %r (want WxH)" % parts[2])
        width, height = int(m.group(1)), int(m.group(2))
        if width % 2 or height % 2:
            raise argparse.ArgumentTypeError("size %r must be even" % parts[2])
    fps = 15
    if len(parts) > 3 and parts[3]:
        if not parts[3].isdigit() or not 1 <= int(parts[3]) <= 120:
            raise argparse.ArgumentTypeError("bad fps %r" % parts[3])
        fps = int(parts[3])
    return {"name": name, "codec": codec, "width": width, "height": height, "fps": fps}


def have_element(name):
    return Gst.ElementFactory.find(name) is not None


def launch_line(m, index):
    if "file" in m:
        kind = "264" if m["codec"] == "h264" else "265"
        demux = "matroskademux" if m["file"].endswith(".mkv") else "qtdemux"
        return (
            '( filesrc location="%s" ! %s ! h%sparse config-interval=-1 '
            "! rtph%spay name=pay0 pt=96 config-interval=-1 )" % (m["file"], demux, kind, kind)
        )
    fg, bg = COLOURS[index % len(COLOURS)]
    # ~0.07 bit per pixel: 1080p25 -> ~3.6 Mbit/s, 320x240@15 -> 128 kbit/s floor.
    kbps = max(128, m["width"] * m["height"] * m["fps"] * 7 // 100000)
    src = (
        "videotestsrc is-live=true pattern=ball foreground-color=%d background-color=%d "
        "! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1"
        % (fg, bg, m["width"], m["height"], m["fps"])
    )
    if have_element("timeoverlay"):
        src += " ! timeoverlay ! videoconvert"
    if m["codec"] == "h264":
        enc = (
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bframes=0 "
            "threads=1 bitrate=%d ! video/x-h264,profile=constrained-baseline "
            "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1"
            % (m["fps"], kbps)
        )
    else:
        enc = (
            "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bitrate=%d "
            'option-string="bframes=0:frame-threads=1:pools=1:log-level=error" '
            "! h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1"
            % (m["fps"], kbps)
        )
    return "( %s ! %s )" % (src, enc)


def main():
    ap = argparse.ArgumentParser(
        description="Loopback RTSP camera peer for tests (see module docstring)."
    )
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--mount", action="append", type=parse_mount, required=True,
                    metavar="NAME[:codec[:WxH[:fps]]] | NAME=FILE[#h265]")
    ap.add_argument("--auth", choices=["basic", "digest"])
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--exit-on-stdin-eof", action="store_true")
    ap.add_argument("--address", default="127.0.0.1")
    args = ap.parse_args()
    if args.auth and (args.user is None or args.password is None):
        ap.error("--auth needs --user and --password")
    if not args.auth and (args.user is not None or args.password is not None):
        ap.error("--user/--password need --auth")
    if not 0 <= args.port <= 65535:
        ap.error("bad --port")
    names = [m["name"] for m in args.mount]
    if len(set(names)) != len(names):
        ap.error("duplicate mount name")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))

    if args.auth:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
        if args.auth == "basic":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password, token)
        # No default token: anonymous requests get 401 with a WWW-Authenticate challenge.
        server.set_auth(auth)

    mounts = server.get_mount_points()
    for i, m in enumerate(args.mount):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(m, i))
        factory.set_shared(True)  # one pipeline per mount, all clients attach to it
        factory.set_stop_on_disconnect(True)  # a vanished client does not keep it alive
        # videotestsrc answers seeking queries even when live, so each PLAY with
        # "Range: npt=0-" from a joining client would seek the shared pipeline and reset
        # every other client's timestamps. CLOCK_AND_OFFSET makes rtsp-media treat the
        # media as not seekable (PLAY still succeeds), like a real camera.
        factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
        if args.auth:
            factory.add_role_from_structure(Gst.Structure.new_from_string(
                "%s, media.factory.access=(boolean)true, "
                "media.factory.construct=(boolean)true" % ROLE))
        mounts.add_factory("/" + m["name"], factory)
        if "file" in m:
            log("mount /%s %s file %s" % (m["name"], m["codec"], m["file"]))
        else:
            log("mount /%s %s %dx%d@%d" % (m["name"], m["codec"], m["width"], m["height"], m["fps"]))

    loop = GLib.MainLoop()

    def on_client(_server, client):
        conn = client.get_connection()
        peer = conn.get_ip() if conn is not None else "?"
        log("client connected from %s" % peer)
        client.connect("closed", lambda _c: log("client from %s closed" % peer))

    server.connect("client-connected", on_client)

    if server.attach(None) == 0:
        log("cannot listen on %s:%d" % (args.address, args.port))
        sys.stderr.flush()
        os._exit(3)

    def stop(reason):
        log("stopping (%s)" % reason)
        loop.quit()

    def on_signal(name):
        stop(name)
        # Keep the source: removing the last one restores SIG_DFL, and a second
        # SIGTERM during shutdown would then kill the process with status 143.
        return GLib.SOURCE_CONTINUE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, on_signal, "SIGTERM")
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, on_signal, "SIGINT")

    if args.exit_on_stdin_eof:
        def on_stdin(fd, _cond):
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if data:
                return GLib.SOURCE_CONTINUE
            stop("stdin EOF")
            return GLib.SOURCE_REMOVE

        GLib.io_add_watch(0, GLib.PRIORITY_DEFAULT,
                          GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
                          on_stdin)

    port = server.get_bound_port()
    sys.stdout.write("READY port=%d\n" % port)
    sys.stdout.flush()
    log("listening on rtsp://%s:%d/ (auth=%s)" % (args.address, port, args.auth or "none"))

    loop.run()

    # Close client connections (tears down shared media), then leave without running
    # interpreter finalisation, which can race with GStreamer's streaming threads.
    server.client_filter(lambda _s, _c, _d: GstRtspServer.RTSPFilterResult.REMOVE, None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
