#!/usr/bin/python3
"""A scriptable XMPP client for the interop tests, built on slixmpp.

It logs in as one user and is then driven over stdin/stdout with one JSON
object per line.

Commands (stdin), each answered by one reply line carrying the same "id":

  {"cmd": "disco_info", "to": JID, "node"?: str, "timeout"?: secs, "id": str}
      -> {"id", "ok": true, "from", "identities": [{"category", "type",
          "name", "lang"}], "features": [str]}
  {"cmd": "disco_items", "to": JID, "node"?: str, "timeout"?: secs, "id": str}
      -> {"id", "ok": true, "items": [{"jid", "node", "name"}]}
  {"cmd": "ping", "to": JID, "timeout"?: secs, "id": str}
      -> {"id", "ok": true}
  {"cmd": "send_message", "to": JID, "body": str, "type"?: str, "id": str}
      -> {"id", "ok": true, "stanza_id": str}
  {"cmd": "send_presence", "to"?: JID, "type"?: str, "show"?: str,
   "status"?: str, "id": str}
      -> {"id", "ok": true}
  {"cmd": "send_raw", "xml": str, "id": str}
      -> {"id", "ok": true}
  {"cmd": "send_iq", "xml": str, "timeout"?: secs, "id": str}
      -> {"id", "ok": true, "xml": str}        (the result iq)
  {"cmd": "quit", "id": str}
      -> {"id", "ok": true}, then the client disconnects and exits.

A failed command answers {"id", "ok": false, "error": {"type", "condition",
"text"}} and, for an iq error reply, "xml" with the error stanza. A request
that times out reports the condition "remote-server-timeout".

Events (stdout), one line each, have an "event" key:

  {"event": "session_start", "jid": str}
  {"event": "message", "from", "to", "type", "id", "body", "xml"}
  {"event": "presence", "from", "to", "type", "show", "status", "xml"}
  {"event": "iq", "from", "to", "type", "id", "xml"}   (every inbound iq;
      Jingle IQ sets are acknowledged with an empty result, XEP-0166 §7.2)
  {"event": "failed_auth"} / {"event": "connection_failed", "error": str}
  {"event": "disconnected", "reason": str}

The process exits after "disconnected", "failed_auth", "connection_failed" or
end of stdin. TLS certificates are not verified: the peers use throwaway test
certificates.
"""

import argparse
import asyncio
import json
import logging
import ssl
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.stanza import Iq, Message, Presence
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

DEFAULT_TIMEOUT = 15


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def error_reply(cid, etype, condition, text="", xml=None):
    reply = {"id": cid, "ok": False,
             "error": {"type": etype, "condition": condition, "text": text}}
    if xml is not None:
        reply["xml"] = xml
    return reply


class Driver(slixmpp.ClientXMPP):
    def __init__(self, jid, password, send_presence):
        super().__init__(jid, password)
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.initial_presence = send_presence
        self.exit_code = 0
        self.done = asyncio.Event()
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_filter("in", self.on_inbound)
        # A Jingle client acknowledges every Jingle action with an empty
        # result (XEP-0166 §7.2); the test reads the actions as "iq" events
        # and answers them with its own commands.
        self.register_handler(Callback(
            "jingle ack",
            MatchXPath("{jabber:client}iq/{urn:xmpp:jingle:1}jingle"),
            self.on_jingle))

    async def on_session_start(self, _event):
        await self.get_roster()
        if self.initial_presence:
            self.send_presence()
        emit({"event": "session_start", "jid": str(self.boundjid)})

    def on_failed_auth(self, _event):
        emit({"event": "failed_auth"})
        self.finish(2)

    def on_connection_failed(self, error):
        emit({"event": "connection_failed", "error": str(error)})
        self.finish(2)

    def on_disconnected(self, reason):
        emit({"event": "disconnected", "reason": str(reason or "")})
        self.finish(self.exit_code)

    def finish(self, code):
        if code and not self.exit_code:
            self.exit_code = code
        self.done.set()

    def on_jingle(self, iq):
        if iq["type"] == "set":
            iq.reply().send()

    def on_inbound(self, stanza):
        """Report every inbound stanza; the stanza itself goes on unchanged."""
        if isinstance(stanza, Message):
            emit({"event": "message", "from": str(stanza["from"]),
                  "to": str(stanza["to"]), "type": stanza["type"],
                  "id": stanza["id"], "body": stanza["body"],
                  "xml": str(stanza)})
        elif isinstance(stanza, Presence):
            emit({"event": "presence", "from": str(stanza["from"]),
                  "to": str(stanza["to"]), "type": stanza["type"],
                  "show": stanza["show"], "status": stanza["status"],
                  "xml": str(stanza)})
        elif isinstance(stanza, Iq):
            emit({"event": "iq", "from": str(stanza["from"]),
                  "to": str(stanza["to"]), "type": stanza["type"],
                  "id": stanza["id"], "xml": str(stanza)})
        return stanza

    async def run_command(self, cmd):
        cid = cmd.get("id", "")
        name = cmd.get("cmd", "")
        timeout = cmd.get("timeout", DEFAULT_TIMEOUT)
        try:
            handler = getattr(self, "cmd_" + name, None)
            if handler is None:
                return error_reply(cid, "modify", "bad-request",
                                   "unknown command %r" % name)
            reply = await handler(cmd, timeout)
            reply["id"] = cid
            reply["ok"] = True
            return reply
        except IqError as exc:
            iq = exc.iq
            return error_reply(cid, iq["error"]["type"],
                               iq["error"]["condition"], iq["error"]["text"],
                               str(iq))
        except IqTimeout:
            return error_reply(cid, "wait", "remote-server-timeout",
                               "no reply within %ss" % timeout)
        except Exception as exc:  # reported to the test, never swallowed
            return error_reply(cid, "cancel", "internal-error", repr(exc))

    async def cmd_disco_info(self, cmd, timeout):
        iq = await self["xep_0030"].get_info(
            jid=cmd["to"], node=cmd.get("node"), local=False, cached=False,
            timeout=timeout)
        info = iq["disco_info"]
        identities = [{"category": c, "type": t, "lang": l or "",
                       "name": n or ""}
                      for (c, t, l, n) in info.get_identities(dedupe=False)]
        return {"from": str(iq["from"]), "identities": identities,
                "features": list(info.get_features(dedupe=False))}

    async def cmd_disco_items(self, cmd, timeout):
        iq = await self["xep_0030"].get_items(
            jid=cmd["to"], node=cmd.get("node"), local=False,
            timeout=timeout)
        items = [{"jid": str(j), "node": n or "", "name": m or ""}
                 for (j, n, m) in iq["disco_items"]["items"]]
        return {"from": str(iq["from"]), "items": items}

    async def cmd_ping(self, cmd, timeout):
        await self["xep_0199"].send_ping(jid=cmd["to"], timeout=timeout)
        return {}

    async def cmd_send_message(self, cmd, _timeout):
        msg = self.make_message(mto=cmd["to"], mbody=cmd.get("body"),
                                mtype=cmd.get("type", "chat"))
        msg["id"] = cmd.get("stanza_id") or self.new_id()
        msg.send()
        return {"stanza_id": msg["id"]}

    async def cmd_send_presence(self, cmd, _timeout):
        self.send_presence(pto=cmd.get("to"), ptype=cmd.get("type"),
                           pshow=cmd.get("show"), pstatus=cmd.get("status"))
        return {}

    async def cmd_send_raw(self, cmd, _timeout):
        ET.fromstring(cmd["xml"])  # reject malformed XML instead of breaking the stream
        self.send_raw(cmd["xml"])
        return {}

    async def cmd_send_iq(self, cmd, timeout):
        iq = Iq(self, xml=ET.fromstring(cmd["xml"]))
        if not iq["id"]:
            iq["id"] = self.new_id()
        result = await iq.send(timeout=timeout)
        return {"xml": str(result)}

    async def cmd_quit(self, _cmd, _timeout):
        asyncio.get_event_loop().call_soon(self.quit)
        return {}

    def quit(self):
        if self.transport is None:
            self.finish(0)
        else:
            self.disconnect(wait=2.0)


async def read_commands(xmpp):
    loop = asyncio.get_event_loop()
    reader = asyncio.StreamReader(limit=1 << 22)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks = set()
    while True:
        line = await reader.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError as exc:
            emit(error_reply("", "modify", "bad-request", str(exc)))
            continue
        task = asyncio.ensure_future(run_and_reply(xmpp, cmd))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    xmpp.quit()


async def run_and_reply(xmpp, cmd):
    emit(await xmpp.run_command(cmd))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-presence", action="store_true",
                        help="do not send initial presence")
    parser.add_argument("--debug", action="store_true",
                        help="log the XML stream to stderr")
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr,
                        level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    xmpp = Driver(args.jid, args.password, not args.no_presence)
    loop = xmpp.loop
    xmpp.connect(address=(args.host, args.port))
    commands = loop.create_task(read_commands(xmpp))
    loop.run_until_complete(xmpp.done.wait())
    commands.cancel()
    sys.exit(xmpp.exit_code)


if __name__ == "__main__":
    main()
