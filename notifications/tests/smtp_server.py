"""A real SMTP server on 127.0.0.1 for the notification tests (aiosmtpd).

Usage: smtp_server.py PORT FOLDER. Each accepted message is written to FOLDER as one file.
Recipients starting with `bounce` are refused for good (550); those starting with `later` are
refused once for now (451), then accepted.
"""
import asyncio
import os
import sys

from aiosmtpd.controller import Controller

port, folder = int(sys.argv[1]), sys.argv[2]
refused_once = set()
count = 0


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox here"
        if address.startswith("later") and address not in refused_once:
            refused_once.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        for rcpt in envelope.rcpt_tos:
            with open(os.path.join(folder, f"{count}-{rcpt}.eml"), "wb") as f:
                f.write(envelope.content)
        return "250 Message accepted"


controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
