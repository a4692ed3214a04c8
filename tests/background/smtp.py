"""An SMTP sink (aiosmtpd) that stands in for a real mail server in tests."""

from aiosmtpd.controller import Controller


class _Collect:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf8", "replace")))
        return "250 OK"


class SmtpSink:
    def __init__(self, port: int):
        self.port = port
        self.handler = _Collect()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
