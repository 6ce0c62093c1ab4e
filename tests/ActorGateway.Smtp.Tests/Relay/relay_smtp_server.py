#!/usr/bin/python3
"""A scripted SMTP server for the relay transport tests (aiosmtpd, not our code).

Listens on 127.0.0.1, prints "PORT <n>" on stdout once it is bound, and runs until
SIGTERM/SIGINT or until stdin is closed (so it dies with the test process).

Behaviour, chosen by the envelope:
  RCPT local part "refuse*"      -> 550 5.1.1 user unknown
  RCPT local part "defer*"       -> 450 4.2.1 try later
  MAIL FROM local part "badsender*"  -> 553 5.7.1 sender refused
  MAIL FROM local part "tempsender*" -> 451 4.3.0 sender deferred
  DATA when MAIL FROM "reject*"  -> 554 5.6.0 rejected
  DATA when MAIL FROM "tempdata*" -> 451 4.3.0 data deferred
Modes (--mode): "up" (default), "down" (421 at connect, then close),
"silent" (accept the TCP connection and never answer).

Each accepted message is written to --spool as NNNN.json (envelope) and NNNN.eml (the
exact bytes), the .json last and both by rename, so a reader never sees a partial message.
--stats gets {"connections": n, "noops": n, "rcpts": n} (RCPT commands seen), rewritten on every change.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def local_part(address):
    return (address or "").split("@", 1)[0].lower()


class Stats:
    def __init__(self, path):
        self.path = path
        self.connections = 0
        self.noops = 0
        self.rcpts = 0
        self.write()

    def write(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"connections": self.connections, "noops": self.noops, "rcpts": self.rcpts}, f)
        os.replace(tmp, self.path)


class ScriptedHandler:
    def __init__(self, spool, stats):
        self.spool = spool
        self.stats = stats
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        lp = local_part(address)
        if lp.startswith("badsender"):
            return "553 5.7.1 sender refused"
        if lp.startswith("tempsender"):
            return "451 4.3.0 sender deferred"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.stats.rcpts += 1
        self.stats.write()
        lp = local_part(address)
        if lp.startswith("refuse"):
            return "550 5.1.1 user unknown"
        if lp.startswith("defer"):
            return "450 4.2.1 try later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_NOOP(self, server, session, envelope, arg):
        self.stats.noops += 1
        self.stats.write()
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        lp = local_part(envelope.mail_from)
        if lp.startswith("reject"):
            return "554 5.6.0 rejected"
        if lp.startswith("tempdata"):
            return "451 4.3.0 data deferred"
        self.count += 1
        name = "%04d" % self.count
        content = envelope.original_content or envelope.content
        self._write(name + ".eml", content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
        }
        self._write(name + ".json", json.dumps(meta).encode("utf-8"))
        return "250 2.0.0 OK queued as %s" % name

    def _write(self, name, data):
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.spool, name))


class CountingSMTP(SMTP):
    stats = None

    def connection_made(self, transport):
        CountingSMTP.stats.connections += 1
        CountingSMTP.stats.write()
        super().connection_made(transport)


class DownProtocol(asyncio.Protocol):
    def __init__(self, stats):
        self.stats = stats

    def connection_made(self, transport):
        self.stats.connections += 1
        self.stats.write()
        transport.write(b"421 4.3.2 service not available\r\n")
        transport.close()


class SilentProtocol(asyncio.Protocol):
    def __init__(self, stats):
        self.stats = stats

    def connection_made(self, transport):
        self.stats.connections += 1
        self.stats.write()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--spool", required=True)
    parser.add_argument("--stats", default="")
    parser.add_argument("--mode", choices=["up", "down", "silent"], default="up")
    parser.add_argument("--auth", default="", help="user:password; when set, AUTH is required")
    parser.add_argument("--idle-timeout", type=float, default=300.0)
    args = parser.parse_args()

    os.makedirs(args.spool, exist_ok=True)
    stats = Stats(args.stats)
    CountingSMTP.stats = stats
    handler = ScriptedHandler(args.spool, stats)

    smtp_kwargs = dict(enable_SMTPUTF8=True, hostname="relay-test.local", timeout=args.idle_timeout)
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login == user.encode() and auth_data.password == password.encode())
            return AuthResult(success=ok, handled=False)

        smtp_kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if args.mode == "down":
        factory = lambda: DownProtocol(stats)
    elif args.mode == "silent":
        factory = lambda: SilentProtocol(stats)
    else:
        factory = lambda: CountingSMTP(handler, loop=loop, **smtp_kwargs)
    server = loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=args.port))
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():
        # The test keeps stdin open; EOF means the test process went away.
        try:
            sys.stdin.read()
        finally:
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("PORT %d" % port, flush=True)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())


if __name__ == "__main__":
    main()
